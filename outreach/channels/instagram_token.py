"""The Instagram Login token kept between runs: Meta's refresh gives a new token that .env does not hold."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..redaction import register_secret
from .statefile import load_private_json, save_private_json

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeptToken:
    """The token in use with Instagram Login, and what is known of its life (by the platform's clock)."""

    access_token: str
    #: Since when outreach has had it: Meta's refresh needs it to be 24 hours old.
    obtained_at: datetime
    #: None for the token from the environment until its first refresh (Meta does not say).
    expires_at: datetime | None


class TokenStateFile:
    """The refreshed Instagram Login token kept between runs, for as long as .env still holds the token
    it was refreshed from: a new token put in .env replaces it (the hash tells them apart)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, env_token: str) -> KeptToken | None:
        kept = load_private_json(self.path, "Instagram token")
        if kept is None or kept.get("env_token_sha256") != _sha256(env_token):
            return None
        try:
            token = KeptToken(
                str(kept["access_token"]),
                datetime.fromisoformat(kept["obtained_at"]),
                datetime.fromisoformat(kept["expires_at"]) if kept.get("expires_at") else None,
            )
        except (KeyError, TypeError, ValueError):
            return None
        register_secret(token.access_token)
        return token

    def save(self, env_token: str, token: KeptToken) -> None:
        content = {
            "access_token": token.access_token,
            "obtained_at": token.obtained_at.isoformat(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            "env_token_sha256": _sha256(env_token),
        }
        try:
            save_private_json(self.path, content)
        except OSError as error:
            log.warning(
                "%s: cannot keep the Instagram token (%s); the next run starts from .env again", self.path, error
            )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
