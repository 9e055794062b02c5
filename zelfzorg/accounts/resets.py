"""Back in after a forgotten password: a reset code from the practice or an administrator,
or a reset link by e-mail when the outbox is configured.

Both are ``PasswordReset`` rows: single use (claimed by a conditional UPDATE), only a SHA-256
kept, short-lived (a code a week, a link an hour), and a new one revokes the older ones.
Setting the new password ends every session of the account. A staff member's second factor
stays unless the administrator resets it explicitly. The e-mail request answers the same
whether or not an account exists; the views throttle per address and per account.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import PasswordReset, User
from zelfzorg.accounts.passwords import validate_password
from zelfzorg.accounts.scope import Actor, audit, get_patient_for
from zelfzorg.accounts.services import (
    CODE_ALPHABET,
    SecurityPolicy,
    _hash_code,
    _subject,
    end_sessions,
    hash_password,
    normalise_email,
    reset_totp,
)
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.audit.services import record
from zelfzorg.errors import N_, Forbidden, NotFound, ValidationError
from zelfzorg.notifications.models import OutboxEmail

CODE_VALID = timedelta(days=7)
LINK_VALID = timedelta(hours=1)
RESET_FAILED = N_(
    "Deze herstelcode is niet geldig. Misschien is hij al gebruikt of verlopen. Vraag uw "
    "praktijk om een nieuwe code."
)
LINK_FAILED = N_(
    "Deze link werkt niet meer: hij is al gebruikt of verlopen. Vraag een nieuwe link aan."
)


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _hash_link(token: str) -> str:
    return hashlib.sha256(("link:" + token).encode()).hexdigest()


def _issue(
    session: Session, user: User, *, kind: str, token_hash: str, by: int | None, now: datetime
) -> PasswordReset:
    # One way back in at a time: an older code or link stops working.
    session.execute(
        sa.update(PasswordReset)
        .where(
            col(PasswordReset.user_id) == user.id,
            col(PasswordReset.used_at).is_(None),
            col(PasswordReset.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    row = PasswordReset(
        user_id=user.id,  # type: ignore[arg-type]
        kind=kind,
        token_hash=token_hash,
        created_by_id=by,
        created_at=now,
        expires_at=now + (CODE_VALID if kind == "code" else LINK_VALID),
    )
    session.add(row)
    session.flush()
    return row


def issue_patient_code(
    session: Session, actor: Actor, patient_id: int, *, now: datetime
) -> tuple[str, PasswordReset]:
    """A professional of the patient's practice gives the patient a new code to get back in."""
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk maken herstelcodes."))
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="PasswordReset",
    )
    user = session.exec(select(User).where(User.patient_id == patient.id)).first()
    if user is None:
        raise ValidationError(N_("Deze patiënt heeft nog geen account. Maak een activatiecode."))
    if not user.is_active:
        raise ValidationError(N_("Het account van deze patiënt is uitgeschakeld."))
    code = _new_code()
    row = _issue(session, user, kind="code", token_hash=_hash_code(code), by=actor.user_id, now=now)
    return code, row


def issue_staff_code(
    session: Session, actor: Actor, user_id: int, *, with_totp: bool, now: datetime
) -> tuple[str, PasswordReset]:
    """An administrator gives a staff member a code; ``with_totp`` also resets the second
    factor (enrolled again at the next login), otherwise it stays as it was."""
    from zelfzorg.accounts.admin_users import get_staff_user

    user = get_staff_user(session, actor, user_id)
    if not user.is_active:
        raise ValidationError(N_("Dit account is uitgeschakeld. Schakel het eerst weer in."))
    if with_totp:
        reset_totp(session, actor, user.id)  # type: ignore[arg-type]
    code = _new_code()
    row = _issue(session, user, kind="code", token_hash=_hash_code(code), by=actor.user_id, now=now)
    audit(
        session,
        actor,
        action=AuditAction.create,
        object_type="PasswordReset",
        object_id=row.id,
        detail="staff code" + (" with totp reset" if with_totp else ""),
    )
    return code, row


def _usable(row: PasswordReset | None, kind: str, now: datetime) -> bool:
    return (
        row is not None
        and row.kind == kind
        and row.used_at is None
        and row.revoked_at is None
        and row.expires_at > now
    )


def _set_password(
    session: Session,
    policy: SecurityPolicy,
    row: PasswordReset,
    password: str,
    *,
    failed: str,
    field: str | None,
    client_address: str,
    now: datetime,
) -> User:
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ValidationError(failed, field=field)
    # Conditional update: of two simultaneous uses only one wins.
    claimed = session.execute(
        sa.update(PasswordReset)
        .where(col(PasswordReset.id) == row.id, col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ValidationError(failed, field=field)
    user.password_hash = hash_password(policy, password)
    user.failed_logins = 0
    user.locked_until = None
    end_sessions(session, user)  # every old session ends
    record(
        session,
        _subject(user, user.email, client_address),
        action=AuditAction.update,
        object_type="User",
        object_id=user.id,
        patient_id=user.patient_id,
        detail=f"password reset by {row.kind}",
    )
    session.flush()
    session.refresh(row)
    return user


def reset_with_code(
    session: Session,
    policy: SecurityPolicy,
    *,
    code: str,
    password: str,
    client_address: str = "",
    now: datetime,
) -> User:
    """Set a new password with a code from the practice; the code works once."""
    validate_password(password)
    row = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == _hash_code(code or ""))
    ).first()
    if not _usable(row, "code", now):
        raise ValidationError(RESET_FAILED, field="code")
    assert row is not None
    return _set_password(
        session,
        policy,
        row,
        password,
        failed=RESET_FAILED,
        field="code",
        client_address=client_address,
        now=now,
    )


def link_is_valid(session: Session, token: str, *, now: datetime) -> bool:
    row = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == _hash_link(token or ""))
    ).first()
    return _usable(row, "email", now)


def reset_with_link(
    session: Session,
    policy: SecurityPolicy,
    *,
    token: str,
    password: str,
    client_address: str = "",
    now: datetime,
) -> User:
    """Set a new password from the e-mailed link; the link works once, for an hour."""
    row = session.exec(
        select(PasswordReset).where(PasswordReset.token_hash == _hash_link(token or ""))
    ).first()
    if not _usable(row, "email", now):
        raise NotFound(LINK_FAILED)
    validate_password(password)
    assert row is not None
    return _set_password(
        session,
        policy,
        row,
        password,
        failed=LINK_FAILED,
        field=None,
        client_address=client_address,
        now=now,
    )


# (subject, body) of the e-mail for this user and link, in the user's language.
MessageMaker = Callable[[User, str], tuple[str, str]]


def request_link(
    session: Session,
    *,
    email: str,
    make_message: MessageMaker,
    client_address: str = "",
    now: datetime,
) -> str | None:
    """Queue a reset link for an active account with this address. Returns the link's token
    (None when no account matched), for tests only: the page must say the same either way."""
    email = normalise_email(email)
    user = session.exec(select(User).where(User.email == email)).first() if email else None
    if user is None or not user.is_active:
        record(
            session,
            _subject(None, email, client_address),
            action=AuditAction.create,
            object_type="PasswordReset",
            outcome=AuditOutcome.denied,
            detail="reset link for unknown or inactive account",
        )
        session.flush()
        return None
    token = secrets.token_urlsafe(32)
    row = _issue(session, user, kind="email", token_hash=_hash_link(token), by=None, now=now)
    subject, body = make_message(user, token)
    session.add(OutboxEmail(to_address=user.email, subject=subject, body=body, created_at=now))
    record(
        session,
        _subject(user, user.email, client_address),
        action=AuditAction.create,
        object_type="PasswordReset",
        object_id=row.id,
        patient_id=user.patient_id,
        detail="reset link queued",
    )
    session.flush()
    return token
