"""Accounts of the office's web page: who may sign in, with which role, and what each role may do.

One service for both surfaces: ``outreach users …`` and the page's own user management call it, and
the page asks ``allowed`` before every action (the server decides; a hidden button is only a courtesy).

- Passwords are hashed with Argon2id (argon2-cffi) at OWASP's lowest-memory setting of equal strength
  (7 MiB, 5 passes): the server's memory budget (80 MB) has no room for 19 MiB a check, and each guess
  still costs an attacker ~20 ms of a core. A hash made with other parameters is replaced at the next sign-in.
- Signing in starts a new session (a random 256-bit token in the cookie, only its SHA-256 in the store),
  so a session id planted before sign-in is never promoted (session fixation). Sessions end after
  ``SESSION_IDLE`` without use, when the password changes, or when the account is disabled.
- Failed sign-ins are throttled per name and per address over ``THROTTLE_WINDOW``; the message never
  says whether the name exists, and an unknown name costs the same hashing time as a wrong password.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import ConfigError, OutreachError
from .i18n import _
from .model import ROLES, User

if TYPE_CHECKING:
    from .clock import Clock
    from .store import Store

#: Argon2id at one of OWASP's equivalent recommended settings (m = 7 MiB, t = 5, p = 1).
HASHER = PasswordHasher(time_cost=5, memory_cost=7 * 1024, parallelism=1)
#: The shortest password accepted: long passphrases beat complexity rules (NIST SP 800-63B).
PASSWORD_MIN = 10
#: A session ends after this long without a request.
SESSION_IDLE = timedelta(hours=8)
#: A session's expiry is slid forward at most this often (one write per minute per user, not per request).
SESSION_TOUCH = timedelta(minutes=1)
#: Failed sign-ins counted over this window; past the limits, signing in waits until the window passes.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20

#: What a role may do. ``decide`` (approve or reject an innovation) is further limited to the approver's
#: own agency (``allowed``); an admin may do all an editor may, and pauses and manages users.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "view": ROLES,
    "edit_posts": ("editor", "admin"),
    "check_channels": ("editor", "admin"),
    "answer_replies": ("editor", "admin"),
    "decide": ("approver",),
    "pause": ("admin",),
    "manage_users": ("admin",),
}


@cache
def _dummy_hash() -> str:
    """A hash of a password nobody has: an unknown name is checked against it, so it takes as long as a real
    one. Made on first use, not at import: every command that imports this module would pay for it."""
    return HASHER.hash(secrets.token_urlsafe(16))


class SignInRefused(OutreachError):
    """Wrong name or password, a disabled account, or too many failed attempts (``retry_after`` seconds)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    """A signed-in user as one request sees it: the account and its session's CSRF token."""

    user: User
    csrf_token: str


@dataclass(frozen=True)
class NewSession:
    """A session just started: the token goes into the cookie, never into the store."""

    token: str
    signed_in: SignedIn


def allowed(user: User, action: str, opd: str | None = None) -> bool:
    """Whether ``user`` may do ``action`` (a key of ``PERMISSIONS``); ``opd``: the agency the action touches."""
    if not user.active or user.role not in PERMISSIONS.get(action, ()):
        return False
    if user.role == "approver" and action == "decide":
        return opd is not None and user.opd is not None and user.opd.casefold() == opd.casefold()
    return True


def sees_agency(user: User, opd: str) -> bool:
    """Whether ``user`` sees an agency's innovations: an approver only their own, the others every one."""
    return user.role != "approver" or (user.opd is not None and user.opd.casefold() == opd.casefold())


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """Adds, changes and disables accounts, and signs users in and out; see the module's docstring."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # -- managing accounts ------------------------------------------------------------------------

    def add(self, name: str, role: str, opd: str | None, password: str, actor: str) -> User:
        """A new account; ``ConfigError`` names what is wrong (role, agency, password) and how to fix it."""
        name = name.strip()
        if not name or len(name) > 80 or any(not character.isprintable() for character in name):
            raise ConfigError(_("a user name must be 1 to 80 printable characters, e.g. Sari or sari.dinkes"))
        if role not in ROLES:
            raise ConfigError(_("role {role}: choose one of {roles}").format(role=role, roles=", ".join(ROLES)))
        if role == "approver" and not (opd and opd.strip()):
            raise ConfigError(
                _("an approver decides for one agency: add --opd with the agency's name as the catalogue writes it")
            )
        if role != "approver" and opd:
            raise ConfigError(_("only an approver belongs to one agency: leave out --opd for {role}").format(role=role))
        _check_password(password)
        try:
            return self.store.add_user(
                name, role, opd.strip() if opd else None, HASHER.hash(password), self.clock.now(), actor
            )
        except ValueError as error:
            raise ConfigError(str(error)) from None

    def change_password(self, name: str, password: str, actor: str) -> None:
        """A new password; every session of the account ends."""
        _check_password(password)
        self.store.set_password_hash(name, HASHER.hash(password), self.clock.now(), actor)

    def disable(self, name: str, actor: str) -> User:
        """The account can no longer sign in; its sessions end; its name stays in the events."""
        return self.store.disable_user(name, self.clock.now(), actor)

    # -- signing in and out -----------------------------------------------------------------------

    def sign_in(self, name: str, password: str, address: str) -> NewSession:
        """A new session for a correct name and password; ``SignInRefused`` otherwise (one message for all)."""
        now = self.clock.now()
        by_name, by_address = self.store.login_failures_since(name, address, now - THROTTLE_WINDOW)
        if by_name >= MAX_FAILURES_PER_NAME or by_address >= MAX_FAILURES_PER_ADDRESS:
            raise SignInRefused(
                _("too many failed sign-ins; try again in {minutes} minutes").format(
                    minutes=int(THROTTLE_WINDOW.total_seconds() // 60)
                ),
                retry_after=THROTTLE_WINDOW.total_seconds(),
            )
        found = self.store.password_hash(name)
        user, stored = found if found is not None else (None, _dummy_hash())
        try:
            HASHER.verify(stored, password)
            correct = user is not None
        except (VerificationError, InvalidHashError):
            correct = False
        if not correct or user is None or not user.active:
            self.store.add_login_failure(name, address, now)
            raise SignInRefused(_("wrong name or password, or the account is disabled"))
        if HASHER.check_needs_rehash(stored):
            self.store.set_password_hash(user.name, HASHER.hash(password), now, user.name, event=False)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.store.add_session(user, _token_hash(token), csrf, now, now + SESSION_IDLE)
        return NewSession(token, SignedIn(user, csrf))

    def signed_in(self, token: str) -> SignedIn | None:
        """The user of a session cookie's token, its expiry slid forward; None for no, expired or ended session."""
        if not token:
            return None
        now = self.clock.now()
        found = self.store.session_user(_token_hash(token), now)
        if found is None:
            return None
        user, csrf, last_seen = found
        if now - last_seen >= SESSION_TOUCH:
            self.store.touch_session(_token_hash(token), now, now + SESSION_IDLE)
        return SignedIn(user, csrf)

    def sign_out(self, token: str) -> None:
        self.store.end_session(_token_hash(token), self.clock.now())


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise ConfigError(
            _("the password is too short: use at least {count} characters, e.g. a few words").format(count=PASSWORD_MIN)
        )
