"""The web page's accounts in the store: users, their sessions, failed sign-ins (for throttling), account events.

Passwords arrive here already hashed (``outreach.accounts``); a session is kept as the SHA-256 of its
cookie token, so neither a backup nor a stolen database lets anyone sign in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound
from ..i18n import _
from ..model import AccountEvent, User
from .base import StoreBase
from .schema import account_events, from_text, login_failures, moment_of, to_text, users, web_sessions


def name_key(name: str) -> str:
    """A user name as compared: "Sari" and " sari " are one account."""
    return name.strip().casefold()


class AccountsStore(StoreBase):
    """Users, sessions, failed sign-ins and the account events."""

    def add_user(self, name: str, role: str, opd: str | None, password_hash: str, now: datetime, actor: str) -> User:
        """A new account; a name already taken (in any case) is refused with ``ValueError``."""
        with self.transaction() as connection:
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(users).values(
                            name=name.strip(),
                            name_key=name_key(name),
                            role=role,
                            opd=opd,
                            password_hash=password_hash,
                            created_at=to_text(now),
                            password_changed_at=to_text(now),
                        )
                    )
            except IntegrityError:
                raise ValueError(
                    _("user {name}: the name is taken; choose another or see `outreach users list`").format(
                        name=name.strip()
                    )
                ) from None
            _account_event(connection, now, actor, name.strip(), "added", f"{role} {opd or ''}".strip())
        return self.user_named(name)

    def user_named(self, name: str) -> User:
        """The account with this name (any case); ``NotFound`` naming where the accounts are listed."""
        row = self._user_row(name)
        if row is None:
            raise NotFound(_("user {name}: no such user; `outreach users list` shows them").format(name=name.strip()))
        return _user(row)

    def password_hash(self, name: str) -> tuple[User, str] | None:
        """The account and its password hash, for signing in; None when no account has this name."""
        row = self._user_row(name)
        return None if row is None else (_user(row), row.password_hash)

    def _user_row(self, name: str) -> Any:
        with self.transaction() as connection:
            return connection.execute(select(users).where(users.c.name_key == name_key(name))).first()

    def users(self) -> list[User]:
        """Every account, by name."""
        with self.transaction() as connection:
            return [_user(row) for row in connection.execute(select(users).order_by(users.c.name_key))]

    def set_password_hash(
        self, name: str, password_hash: str, now: datetime, actor: str, *, event: bool = True
    ) -> None:
        """Replace an account's password hash and end its sessions (a changed password signs everyone out);
        ``event=False`` for a silent re-hash with new parameters at sign-in."""
        user = self.user_named(name)
        with self.transaction() as connection:
            values: dict[str, Any] = {"password_hash": password_hash}
            if event:
                values["password_changed_at"] = to_text(now)
                connection.execute(delete(web_sessions).where(web_sessions.c.user_id == user.id))
                _account_event(connection, now, actor, user.name, "password changed")
            connection.execute(update(users).where(users.c.id == user.id).values(**values))

    def disable_user(self, name: str, now: datetime, actor: str) -> User:
        """Disable an account and end its sessions; it is kept, so the events that name it still read."""
        user = self.user_named(name)
        with self.transaction() as connection:
            connection.execute(update(users).where(users.c.id == user.id).values(disabled_at=to_text(now)))
            connection.execute(delete(web_sessions).where(web_sessions.c.user_id == user.id))
            _account_event(connection, now, actor, user.name, "disabled")
        return self.user_named(name)

    # ---- sessions -------------------------------------------------------------------------------

    def add_session(self, user: User, token_hash: str, csrf_token: str, now: datetime, expires_at: datetime) -> None:
        with self.transaction() as connection:
            connection.execute(
                insert(web_sessions).values(
                    token_hash=token_hash,
                    user_id=user.id,
                    csrf_token=csrf_token,
                    created_at=to_text(now),
                    last_seen_at=to_text(now),
                    expires_at=to_text(expires_at),
                )
            )
            _account_event(connection, now, user.name, user.name, "signed in")

    def session_user(self, token_hash: str, now: datetime) -> tuple[User, str, datetime] | None:
        """The active user of an unexpired session, its CSRF token and when it was last seen; None otherwise."""
        query = (
            select(users, web_sessions.c.csrf_token, web_sessions.c.last_seen_at)
            .join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(web_sessions.c.token_hash == token_hash, web_sessions.c.expires_at > to_text(now))
            .where(users.c.disabled_at.is_(None))
        )
        with self.transaction() as connection:
            row = connection.execute(query).first()
        return None if row is None else (_user(row), row.csrf_token, moment_of(row.last_seen_at))

    def touch_session(self, token_hash: str, now: datetime, expires_at: datetime) -> None:
        """Slide an active session's expiry (called at most once a minute per session)."""
        with self.transaction() as connection:
            connection.execute(
                update(web_sessions)
                .where(web_sessions.c.token_hash == token_hash)
                .values(last_seen_at=to_text(now), expires_at=to_text(expires_at))
            )

    def end_session(self, token_hash: str, now: datetime) -> None:
        with self.transaction() as connection:
            row = connection.execute(
                select(users.c.name)
                .join(web_sessions, web_sessions.c.user_id == users.c.id)
                .where(web_sessions.c.token_hash == token_hash)
            ).first()
            connection.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))
            if row is not None:
                _account_event(connection, now, row.name, row.name, "signed out")

    def drop_expired_sessions(self, now: datetime) -> int:
        with self.transaction() as connection:
            return connection.execute(delete(web_sessions).where(web_sessions.c.expires_at <= to_text(now))).rowcount

    # ---- throttling -----------------------------------------------------------------------------

    def add_login_failure(self, name: str, address: str, now: datetime) -> None:
        with self.transaction() as connection:
            connection.execute(insert(login_failures).values(name_key=name_key(name), address=address, at=to_text(now)))

    def login_failures_since(self, name: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed sign-ins since ``since``: (for this name from anywhere, from this address for any name)."""
        with self.transaction() as connection:
            by_name = connection.scalar(
                select(func.count())
                .select_from(login_failures)
                .where(login_failures.c.name_key == name_key(name), login_failures.c.at >= to_text(since))
            )
            by_address = connection.scalar(
                select(func.count())
                .select_from(login_failures)
                .where(login_failures.c.address == address, login_failures.c.at >= to_text(since))
            )
        return int(by_name or 0), int(by_address or 0)

    def forget_login_failures(self, before: datetime) -> None:
        with self.transaction() as connection:
            connection.execute(delete(login_failures).where(login_failures.c.at < to_text(before)))

    # ---- events ---------------------------------------------------------------------------------

    def account_events(self, user_names: Iterable[str] | None = None) -> list[AccountEvent]:
        """The account events, oldest first (optionally of these accounts only)."""
        query = select(account_events).order_by(account_events.c.at, account_events.c.id)
        if user_names is not None:
            query = query.where(account_events.c.user_name.in_(list(user_names)))
        with self.transaction() as connection:
            return [
                AccountEvent(moment_of(row.at), row.actor, row.user_name, row.action, row.detail)
                for row in connection.execute(query)
            ]

    # ---- the web page's account list (issue #16, web-ops) --------------------------------------

    def recent_account_events(self, limit: int) -> list[AccountEvent]:
        """The ``limit`` newest account events, newest first: a page shows them without reading a year of
        sign-ins."""
        query = select(account_events).order_by(account_events.c.at.desc(), account_events.c.id.desc()).limit(limit)
        with self.transaction() as connection:
            return [
                AccountEvent(moment_of(row.at), row.actor, row.user_name, row.action, row.detail)
                for row in connection.execute(query)
            ]


def _account_event(
    connection: Any, now: datetime, actor: str, user_name: str, action: str, detail: str | None = None
) -> None:
    connection.execute(
        insert(account_events).values(at=to_text(now), actor=actor, user_name=user_name, action=action, detail=detail)
    )


def _user(row: Any) -> User:
    return User(
        id=row.id,
        name=row.name,
        role=row.role,
        opd=row.opd,
        created_at=moment_of(row.created_at),
        password_changed_at=moment_of(row.password_changed_at),
        disabled_at=from_text(row.disabled_at),
    )
