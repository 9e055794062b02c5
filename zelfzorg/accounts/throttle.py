"""A small database-backed rate limiter for login, the second factor, activation and
password resets.

Failed attempts are rows in ``throttle_hit`` (scope, key, time), so every app process and
every restart sees the same counts. Keys are ``addr:<client address>`` and ``acct:<sha256 of
the e-mail address or user id>`` (the log of attempts must not hold e-mail addresses). An
address or account with ``limit`` failures in the last ``window`` is refused before its
credentials are even checked, so guessing costs nothing to the app and gains nothing.

The per-account lock-out on the user row (5 failures, 15 minutes) stays; this adds the
per-address limit (many accounts from one address) and a per-account limit that also covers
unknown accounts and activation codes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import ThrottleHit
from zelfzorg.errors import N_


@dataclass(frozen=True)
class Limit:
    per_address: int
    per_account: int
    window: timedelta


LIMITS = {
    "login": Limit(per_address=20, per_account=10, window=timedelta(minutes=15)),
    "totp": Limit(per_address=20, per_account=5, window=timedelta(minutes=15)),
    "activate": Limit(per_address=10, per_account=5, window=timedelta(minutes=15)),
    # Wrong reset codes or links (per address; per account: the code or link typed).
    "reset": Limit(per_address=10, per_account=5, window=timedelta(minutes=15)),
    # Every request for a reset e-mail counts, found or not: no mail flood at one address.
    "reset_mail": Limit(per_address=10, per_account=3, window=timedelta(hours=1)),
}
E_THROTTLED = N_("Te veel mislukte pogingen. Wacht %(minutes)s minuten en probeer het dan opnieuw.")


def address_key(address: str) -> str:
    return f"addr:{address or '-'}"[:100]


def account_key(identity: object) -> str:
    text = str(identity or "").strip().lower()
    return "acct:" + hashlib.sha256(text.encode()).hexdigest()[:40]


def blocked(session: Session, scope: str, *, address: str, account: object, now: datetime) -> bool:
    """Whether this address or account has used up its failures in the window."""
    limit = LIMITS[scope]
    since = now - limit.window
    for key, allowed in (
        (address_key(address), limit.per_address),
        (account_key(account), limit.per_account),
    ):
        count = session.exec(
            select(func.count())
            .select_from(ThrottleHit)
            .where(ThrottleHit.scope == scope, ThrottleHit.key == key, col(ThrottleHit.at) > since)
        ).one()
        if count >= allowed:
            return True
    return False


def record_failure(
    session: Session, scope: str, *, address: str, account: object, now: datetime
) -> None:
    session.add(ThrottleHit(scope=scope, key=address_key(address), at=now))
    session.add(ThrottleHit(scope=scope, key=account_key(account), at=now))
    session.flush()


def prune(session: Session, now: datetime) -> int:
    """Remove hits older than their scope's window (a job may call this)."""
    removed = 0
    for scope, limit in LIMITS.items():
        result = session.exec(  # type: ignore[call-overload]
            delete(ThrottleHit).where(
                col(ThrottleHit.scope) == scope, col(ThrottleHit.at) <= now - limit.window
            )
        )
        removed += result.rowcount or 0
    return removed


def retry_minutes(scope: str) -> int:
    return int(LIMITS[scope].window.total_seconds() // 60)
