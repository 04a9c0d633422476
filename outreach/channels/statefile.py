"""Small JSON files an adapter keeps between runs (a login session, a refreshed token).

They hold secrets, so they are never in the store: each is readable only by its owner from the
moment it exists, and replaced in one step so that a crash leaves the old file or the new, never half.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def load_private_json(path: Path, what: str) -> dict[str, Any] | None:
    """The file's JSON object; None when it is missing, unreadable, not an object, or others could read it."""
    try:
        with open(path, encoding="utf-8") as file:
            if os.fstat(file.fileno()).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                log.warning("%s: readable by others; not using the %s kept there (it will be replaced)", path, what)
                return None
            kept = json.load(file)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("%s: cannot read the %s kept there (%s)", path, what, error)
        return None
    return kept if isinstance(kept, dict) else None


def save_private_json(path: Path, content: dict[str, Any]) -> None:
    """Replace the file in one step with a new one made owner-only from the start; OSError when that fails."""
    text = json.dumps(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
