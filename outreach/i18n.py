"""One place for user-facing CLI messages, so they can be offered in Indonesian.

Messages are written in English and wrapped in ``_()``; the ``outreach`` gettext catalogue in
``outreach/locale/id`` translates them when the environment asks for Indonesian (``LANGUAGE=id``).
"""

from __future__ import annotations

import gettext
from pathlib import Path

_translation = gettext.translation("outreach", localedir=Path(__file__).parent / "locale", fallback=True)

_ = _translation.gettext
