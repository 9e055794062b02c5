"""Accounts: passwords, login with lock-out, TOTP, patient activation, organisations."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import (
    MFA_ROLES,
    ActivationCode,
    CareGroup,
    Discipline,
    Practice,
    PracticeMembership,
    Role,
    User,
)
from zelfzorg.accounts.passwords import validate_password
from zelfzorg.accounts.scope import Actor, audit, get_patient_for
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.contracting.history import record_activity
from zelfzorg.errors import N_, Forbidden, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Patient

# Deliberately the same for unknown accounts, wrong passwords and locked accounts.
LOGIN_FAILED = N_(
    "Inloggen is niet gelukt. Controleer uw e-mailadres en wachtwoord. Na 5 mislukte pogingen "
    "kunt u 15 minuten niet inloggen."
)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


@dataclass(frozen=True)
class SecurityPolicy:
    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    max_failures: int = 5
    lockout_minutes: int = 15
    activation_weeks: int = 6
    totp_issuer: str = "Zelfzorg"

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(time_cost=self.argon2_time_cost, memory_cost=self.argon2_memory_cost)


def hash_password(policy: SecurityPolicy, password: str) -> str:
    return policy.hasher().hash(password)


def _check_password(policy: SecurityPolicy, stored: str | None, password: str) -> bool:
    hasher = policy.hasher()
    if not stored:
        # Spend the same time as a real check so response time does not reveal accounts.
        hasher.hash(password)
        return False
    try:
        return hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class LoginStep(StrEnum):
    done = "done"
    totp = "totp"
    enrol_totp = "enrol_totp"


@dataclass(frozen=True)
class LoginResult:
    user: User
    next_step: LoginStep


def _subject(user: User | None, email: str, client_address: str) -> AuditSubject:
    if user is None:
        # What was typed may be a patient's e-mail address: keep only a fingerprint, enough
        # to see repeated attempts at one address.
        fingerprint = hashlib.sha256(email.encode()).hexdigest()[:12]
        return AuditSubject(None, f"unknown account {fingerprint}", "", "", client_address)
    return Actor(user, client_address).audit_subject


def _register_failure(session: Session, policy: SecurityPolicy, user: User, now: datetime) -> None:
    user.failed_logins += 1
    if user.failed_logins >= policy.max_failures:
        user.locked_until = now + timedelta(minutes=policy.lockout_minutes)
        user.failed_logins = 0
    session.add(user)


def _is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def authenticate(
    session: Session,
    policy: SecurityPolicy,
    *,
    email: str,
    password: str,
    client_address: str = "",
    now: datetime | None = None,
) -> LoginResult:
    """First factor. Raises ValidationError(LOGIN_FAILED) for every kind of failure."""
    now = now or utcnow()
    email = normalise_email(email)
    user = session.exec(select(User).where(User.email == email)).first()
    password_ok = _check_password(policy, user.password_hash if user else None, password)
    if user is None or not user.is_active or _is_locked(user, now) or not password_ok:
        if user is not None and user.is_active and not _is_locked(user, now):
            _register_failure(session, policy, user, now)
        record(
            session,
            _subject(user, email, client_address),
            action=AuditAction.login,
            object_type="User",
            object_id=user.id if user else None,
            outcome=AuditOutcome.denied,
            detail="password",
        )
        session.flush()
        raise ValidationError(LOGIN_FAILED)
    if policy.hasher().check_needs_rehash(user.password_hash):
        # Parameters were raised since this hash was made: store it anew while we have the
        # password (argon2id, ASVS 2.4).
        user.password_hash = hash_password(policy, password)
        session.add(user)
    if user.role in MFA_ROLES:
        step = LoginStep.totp if user.totp_enrolled_at else LoginStep.enrol_totp
        return LoginResult(user, step)
    complete_login(session, user, client_address=client_address, now=now)
    return LoginResult(user, LoginStep.done)


def complete_login(session: Session, user: User, *, client_address: str, now: datetime) -> None:
    user.failed_logins = 0
    user.last_login_at = now
    session.add(user)
    record(
        session,
        _subject(user, user.email, client_address),
        action=AuditAction.login,
        object_type="User",
        object_id=user.id,
        patient_id=user.patient_id,
    )
    record_activity(session, user.patient_id, "logged_in", now)
    session.flush()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(policy: SecurityPolicy, user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=policy.totp_issuer)


def _accept_totp(user: User, secret: str, code: str, now: datetime) -> int | None:
    """The matching time-step counter (one step of drift allowed), or None."""
    code = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for counter in (current, current - 1, current + 1):
        if secrets.compare_digest(totp.generate_otp(counter), code):
            # A code already used may not be replayed.
            if user.totp_last_counter is not None and counter <= user.totp_last_counter:
                return None
            return counter
    return None


def verify_totp(
    session: Session,
    policy: SecurityPolicy,
    user: User,
    code: str,
    *,
    client_address: str = "",
    now: datetime | None = None,
    enrol_secret: str | None = None,
) -> None:
    """Second factor (or enrolment confirmation); counts failures toward the lock-out."""
    now = now or utcnow()
    secret = enrol_secret or user.totp_secret
    if _is_locked(user, now) or not secret:
        raise ValidationError(LOGIN_FAILED)
    counter = _accept_totp(user, secret, code, now)
    if counter is None:
        _register_failure(session, policy, user, now)
        record(
            session,
            _subject(user, user.email, client_address),
            action=AuditAction.login,
            object_type="User",
            object_id=user.id,
            outcome=AuditOutcome.denied,
            detail="totp",
        )
        session.flush()
        raise ValidationError(
            N_("Deze code klopt niet. Gebruik de zescijferige code uit uw authenticator-app."),
            field="code",
        )
    if enrol_secret:
        user.totp_secret = enrol_secret
        user.totp_enrolled_at = now
    user.totp_last_counter = counter
    complete_login(session, user, client_address=client_address, now=now)


# --- patient activation -----------------------------------------------------------------


def _hash_code(code: str) -> str:
    normalised = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def create_activation_code(
    session: Session,
    policy: SecurityPolicy,
    actor: Actor,
    patient_id: int,
    *,
    now: datetime | None = None,
) -> tuple[str, ActivationCode]:
    """A fresh code for a patient of the actor's practice; earlier unused codes are revoked."""
    now = now or utcnow()
    if not actor.is_professional:
        raise Forbidden(N_("Alleen zorgverleners van de praktijk maken activatiecodes."))
    patient = get_patient_for(
        session,
        actor,
        patient_id,
        write=True,
        action=AuditAction.create,
        object_type="ActivationCode",
    )
    if session.exec(select(User.id).where(User.patient_id == patient.id)).first():
        raise ValidationError(N_("Deze patiënt heeft al een account."))
    session.exec(
        update(ActivationCode)
        .where(col(ActivationCode.patient_id) == patient.id)
        .where(col(ActivationCode.used_at).is_(None))
        .where(col(ActivationCode.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    row = ActivationCode(
        patient_id=patient.id,
        code_hash=_hash_code(code),
        created_by_id=actor.user_id,
        created_at=now,
        expires_at=now + timedelta(weeks=policy.activation_weeks),
    )
    session.add(row)
    session.flush()
    return code, row


ACTIVATION_FAILED = N_(
    "Deze activatiecode is niet geldig. Misschien is hij al gebruikt of verlopen. Vraag uw "
    "praktijk om een nieuwe code."
)


def activate_account(
    session: Session,
    policy: SecurityPolicy,
    *,
    code: str,
    email: str,
    password: str,
    client_address: str = "",
    now: datetime | None = None,
) -> User:
    """Create a patient's account from a valid code; the code is used exactly once."""
    now = now or utcnow()
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise ValidationError(N_("Vul een geldig e-mailadres in."), field="email")
    validate_password(password)
    row = session.exec(
        select(ActivationCode).where(ActivationCode.code_hash == _hash_code(code))
    ).first()
    if (
        row is None
        or row.revoked_at is not None
        or row.used_at is not None
        or row.expires_at <= now
    ):
        raise ValidationError(ACTIVATION_FAILED, field="code")
    if session.exec(select(User.id).where(User.email == email)).first():
        raise ValidationError(
            N_("Met dit e-mailadres bestaat al een account. Kies een ander e-mailadres."),
            field="email",
        )
    # Conditional update: of two simultaneous activations only one wins the code.
    claimed = session.exec(
        update(ActivationCode)
        .where(col(ActivationCode.id) == row.id)
        .where(col(ActivationCode.used_at).is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:
        raise ValidationError(ACTIVATION_FAILED, field="code")
    patient = session.get(Patient, row.patient_id)
    assert patient is not None
    user = User(
        email=email,
        name=patient.full_name,
        role=Role.patient,
        patient_id=patient.id,
        practice_id=patient.practice_id,
        password_hash=hash_password(policy, password),
        activated_at=now,
        last_login_at=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        _subject(user, email, client_address),
        action=AuditAction.create,
        object_type="User",
        object_id=user.id,
        patient_id=patient.id,
        detail="activation",
    )
    session.refresh(row)
    return user


# One statement: the patient's account (if any) and their newest activation code (if any).
_ACCOUNT_STATUS = (
    select(User, ActivationCode)
    .select_from(Patient)
    .outerjoin(User, col(User.patient_id) == Patient.id)
    .outerjoin(
        ActivationCode,
        col(ActivationCode.id)
        == select(func.max(ActivationCode.id))
        .where(ActivationCode.patient_id == Patient.id)
        .correlate(Patient)
        .scalar_subquery(),
    )
    .where(Patient.id == sa.bindparam("patient_id"))
)


def account_status(session: Session, patient_id: int) -> tuple[User | None, ActivationCode | None]:
    row = session.exec(_ACCOUNT_STATUS, params={"patient_id": patient_id}).first()
    return (row[0], row[1]) if row else (None, None)


# --- organisations and users (administration) ---------------------------------------------


def _require_admin(actor: Actor) -> None:
    if actor.role != Role.admin:
        raise Forbidden(N_("Alleen beheerders mogen dit."))


def create_care_group(session: Session, actor: Actor | None, *, name: str) -> CareGroup:
    if actor is not None:
        _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(N_("Vul een naam in van hoogstens 200 tekens."), field="name")
    if session.exec(select(CareGroup.id).where(func.lower(CareGroup.name) == name.lower())).first():
        raise ValidationError(N_("Er bestaat al een zorggroep met deze naam."), field="name")
    group = CareGroup(name=name)
    session.add(group)
    session.flush()
    return group


def create_practice(
    session: Session,
    actor: Actor | None,
    *,
    care_group_id: int,
    name: str,
    city: str = "",
    agb_code: str | None = None,
    phone: str = "",
) -> Practice:
    from zelfzorg.accounts.practices import clean_phone

    if actor is not None:
        _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError(N_("Vul een naam in van hoogstens 200 tekens."), field="name")
    if session.get(CareGroup, care_group_id) is None:
        raise ValidationError(N_("Kies een bestaande zorggroep."), field="care_group_id")
    if agb_code and (not agb_code.isdigit() or len(agb_code) != 8):
        raise ValidationError(N_("Een AGB-code bestaat uit 8 cijfers."), field="agb_code")
    practice = Practice(
        care_group_id=care_group_id,
        name=name,
        city=(city or "").strip()[:100],
        agb_code=agb_code or None,
        phone=clean_phone(phone),
    )
    session.add(practice)
    session.flush()
    return practice


def create_user(
    session: Session,
    policy: SecurityPolicy,
    actor: Actor | None,
    *,
    email: str,
    name: str,
    role: Role,
    password: str,
    discipline: Discipline | None = None,
    practice_id: int | None = None,
    care_group_id: int | None = None,
    is_demo: bool = False,
) -> User:
    """Create a staff account (patients get theirs by activation code)."""
    if actor is not None:
        _require_admin(actor)
    email = normalise_email(email)
    name = (name or "").strip()
    if "@" not in email or len(email) > 254:
        raise ValidationError(N_("Vul een geldig e-mailadres in."), field="email")
    if not name or len(name) > 200:
        raise ValidationError(N_("Vul een naam in van hoogstens 200 tekens."), field="name")
    if role == Role.patient:
        raise ValidationError(
            N_("Patiënten maken hun account zelf aan met een activatiecode."), field="role"
        )
    validate_password(password)
    if session.exec(select(User.id).where(User.email == email)).first():
        raise ValidationError(N_("Met dit e-mailadres bestaat al een account."), field="email")
    if role == Role.professional:
        if practice_id is None or session.get(Practice, practice_id) is None:
            raise ValidationError(
                N_("Kies de praktijk van deze zorgverlener."), field="practice_id"
            )
        if discipline is None:
            raise ValidationError(
                N_("Kies de discipline van deze zorgverlener."), field="discipline"
            )
        care_group_id = None
    elif role == Role.caregroup:
        if care_group_id is None or session.get(CareGroup, care_group_id) is None:
            raise ValidationError(
                N_("Kies de zorggroep van deze medewerker."), field="care_group_id"
            )
        practice_id, discipline = None, None
    else:
        practice_id, care_group_id, discipline = None, None, None
    user = User(
        email=email,
        name=name,
        role=role,
        discipline=discipline,
        practice_id=practice_id,
        care_group_id=care_group_id,
        password_hash=hash_password(policy, password),
        is_demo=is_demo,
    )
    session.add(user)
    session.flush()
    if actor is not None:
        audit(session, actor, action=AuditAction.create, object_type="User", object_id=user.id)
    return user


def list_care_groups(session: Session) -> list[CareGroup]:
    return list(session.exec(select(CareGroup).order_by(CareGroup.name)).all())


def list_practices(session: Session, care_group_id: int | None = None) -> list[Practice]:
    query = select(Practice).order_by(Practice.name)
    if care_group_id is not None:
        query = query.where(Practice.care_group_id == care_group_id)
    return list(session.exec(query).all())


def list_staff(session: Session) -> list[User]:
    return list(
        session.exec(select(User).where(User.role != Role.patient).order_by(User.name)).all()
    )


# The two ways in are a union of two index look-ups: as one ``OR`` SQLite read every account,
# patients' included, with the statistics of a care group (a scan that grows with it).
_PRACTICE = sa.bindparam("practice_id")
_PRACTICE_STAFF = (
    select(User)
    .where(
        col(User.id).in_(
            sa.union_all(
                select(User.id).where(User.practice_id == _PRACTICE),
                select(PracticeMembership.user_id).where(
                    PracticeMembership.practice_id == _PRACTICE
                ),
            )
        )
    )
    .where(User.role == Role.professional)
    .where(col(User.is_active).is_(True))
    .order_by(User.name)
)


def practice_staff(session: Session, practice_id: int) -> list[User]:
    """Active professionals working for the practice: its own and its members from elsewhere."""
    return list(session.exec(_PRACTICE_STAFF, params={"practice_id": practice_id}).all())


def end_sessions(session: Session, user: User) -> None:
    """Invalidate every session of ``user`` (logout, password or second-factor reset)."""
    user.session_nonce = secrets.token_hex(8)
    session.add(user)
    session.flush()


def set_locale(session: Session, user: User, locale: str) -> None:
    user.locale = locale
    session.add(user)
    session.flush()


def reset_totp(session: Session, actor: Actor, user_id: int) -> User:
    _require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise ValidationError(N_("Deze gebruiker bestaat niet."))
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_counter = None
    user.session_nonce = secrets.token_hex(8)
    session.add(user)
    audit(
        session,
        actor,
        action=AuditAction.update,
        object_type="User",
        object_id=user.id,
        detail="totp reset",
    )
    session.flush()
    return user


def practice_names(session: Session, practice_ids: Iterable[int]) -> dict[int, str]:
    """Practice id -> name for these practices, in name order."""
    ids = sorted(practice_ids)
    if not ids:
        return {}
    return dict(
        session.exec(
            select(Practice.id, Practice.name)
            .where(col(Practice.id).in_(ids))
            .order_by(Practice.name, Practice.id)
        ).all()
    )
