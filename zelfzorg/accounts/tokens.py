"""Bearer token to caller: the one step every token API goes through (the device API and
the FHIR API).

A token kind (:class:`TokenKind`) says how to look its tokens up; :func:`authenticate` does
the rest the same way for every kind: it refuses an address that is guessing (too many
refused tokens within the window) before the token is even looked at, audits every refused
token as denied (never the token itself), and returns who the token speaks for with the
audit subject to record their actions under.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from zelfzorg.accounts.models import ApiToken, Role, User
from zelfzorg.accounts.scope import Actor, actor_for
from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.errors import N_, DomainError, Forbidden, NotFound, ValidationError
from zelfzorg.models_base import utcnow

MAX_TOKEN_LENGTH = 200


class TokenRefused(DomainError):
    """No valid token (missing, unknown or revoked): HTTP 401."""


class TooManyAttempts(DomainError):
    """This address refused too many tokens lately: HTTP 429 with Retry-After."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(N_("Te veel pogingen. Probeer het over een minuut opnieuw."))
        self.retry_after = retry_after


@dataclass(frozen=True)
class TokenMatch:
    """A valid token: its row id, what it speaks for, and how to name it in the audit log."""

    token_id: int
    user_name: str  # e.g. "device token 7" (a free-text label may name the patient)
    organisation: str
    principal: object  # what the kind's caller needs (e.g. the patient and the token row)


@dataclass(frozen=True)
class TokenRefusal:
    detail: str  # "missing token", "invalid token", "revoked token"
    token_id: int | None = None


@dataclass(frozen=True)
class TokenKind:
    """One kind of bearer token. ``lookup`` gets a non-empty token of at most
    ``MAX_TOKEN_LENGTH`` characters."""

    audit_type: str  # object type of its audit entries, e.g. "DeviceToken"
    role: str  # role in the audit log, e.g. "device"
    lookup: Callable[[Session, str], TokenMatch | TokenRefusal]
    refused_message: str  # Dutch msgid for the 401 answer
    throttle_limit: int = 10
    throttle_window: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class Authenticated:
    match: TokenMatch
    subject: AuditSubject


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, or None."""
    header = authorization or ""
    return header[7:].strip() or None if header[:7].lower() == "bearer " else None


def recent_denials(session: Session, kind: TokenKind, *, client_address: str, now: datetime) -> int:
    """Refused tokens of this kind from ``client_address`` within the window (a range scan on
    audit_entry.at). Only the token API's own entries count (its role): a professional
    refused a page from the same (NAT) address is not guessing tokens."""
    return session.exec(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            col(AuditEntry.at) >= now - kind.throttle_window,
            AuditEntry.object_type == kind.audit_type,
            AuditEntry.outcome == AuditOutcome.denied,
            AuditEntry.role == kind.role,
            AuditEntry.client_address == client_address[:64],
        )
    ).one()


def authenticate(
    session: Session,
    kind: TokenKind,
    authorization: str | None,
    *,
    client_address: str,
    now: datetime,
    action: AuditAction = AuditAction.create,
) -> Authenticated:
    """The caller a bearer token speaks for, or TokenRefused (audited) / TooManyAttempts.

    An address over the limit is refused before its token is looked at and nothing more is
    logged, so guessing cannot flood the audit log; a valid token from such an address is
    refused too (answering there would tell the guesser which try hit)."""
    if recent_denials(session, kind, client_address=client_address, now=now) >= (
        kind.throttle_limit
    ):
        raise TooManyAttempts(int(kind.throttle_window.total_seconds()))
    token = bearer_token(authorization)
    if not token:
        found: TokenMatch | TokenRefusal = TokenRefusal("missing token")
    elif len(token) > MAX_TOKEN_LENGTH:
        found = TokenRefusal("invalid token")
    else:
        found = kind.lookup(session, token)
    if isinstance(found, TokenRefusal):
        record(
            session,
            AuditSubject(
                user_id=None,
                user_name=kind.role,
                role=kind.role,
                organisation="",
                client_address=client_address,
            ),
            action=action,
            object_type=kind.audit_type,
            object_id=found.token_id,
            outcome=AuditOutcome.denied,
            detail=found.detail,
        )
        raise TokenRefused(kind.refused_message)
    subject = AuditSubject(
        user_id=None,
        user_name=found.user_name,
        role=kind.role,
        organisation=found.organisation,
        client_address=client_address,
    )
    return Authenticated(found, subject)


# --- API tokens of a user (the FHIR API) -------------------------------------------------------
#
# SMART-style scopes. ``patient/*.read``: read the records of the patient the account belongs
# to (patient accounts only); ``user/*.read``: read what the user may read in the UI;
# ``user/*.write``: also write (import, updates) what the user may change in the UI.

SCOPE_PATIENT_READ = "patient/*.read"
SCOPE_USER_READ = "user/*.read"
SCOPE_USER_WRITE = "user/*.write"
API_SCOPES = (SCOPE_PATIENT_READ, SCOPE_USER_READ, SCOPE_USER_WRITE)
MAX_TOKEN_DAYS = 365
DEFAULT_TOKEN_DAYS = 90
API_TOKEN_PREFIX = "zzf_"


def hash_token(token: str) -> str:
    """Tokens are 32 random bytes: a plain SHA-256 is enough to keep them unusable at rest."""
    return hashlib.sha256(token.encode()).hexdigest()


def allowed_scopes(user: User) -> tuple[str, ...]:
    """Which scopes a user may give a token: patients read their own record; professionals
    read and write what the UI lets them. Care-group staff and administrators get no tokens:
    the API serves identifiable records only."""
    if user.role == Role.patient:
        return (SCOPE_PATIENT_READ, SCOPE_USER_READ)
    if user.role == Role.professional:
        return (SCOPE_USER_READ, SCOPE_USER_WRITE)
    return ()


def create_api_token(
    session: Session,
    actor: Actor,
    *,
    label: str,
    scopes: Iterable[str],
    days: int = DEFAULT_TOKEN_DAYS,
    now: datetime,
) -> tuple[str, ApiToken]:
    """A new token of the acting user; the plain token is returned once, never stored."""
    allowed = allowed_scopes(actor.user)
    if not allowed or not actor.user.is_active:
        raise Forbidden(N_("Uw account kan geen API-tokens maken."))
    label = (label or "").strip()
    if not label or len(label) > 100:
        raise ValidationError(N_("Geef het token een naam (hoogstens 100 tekens)."), field="label")
    chosen = list(dict.fromkeys(s.strip() for s in scopes if s and s.strip()))
    if not chosen:
        raise ValidationError(N_("Kies minstens één bevoegdheid."), field="scopes")
    wrong = [s for s in chosen if s not in allowed]
    if wrong:
        raise ValidationError(
            N_("Deze bevoegdheid kunt u niet geven: %(scope)s."),
            field="scopes",
            scope=", ".join(wrong),
        )
    if not isinstance(days, int) or not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationError(
            N_("Een token is 1 tot %(max)s dagen geldig."), field="days", max=MAX_TOKEN_DAYS
        )
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=actor.user_id,
        token_hash=hash_token(token),
        label=label,
        scopes=" ".join(chosen),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor.audit_subject,
        action=AuditAction.create,
        object_type="ApiToken",
        object_id=row.id,
        detail=row.scopes,
    )
    return token, row


def api_tokens_of(session: Session, actor: Actor) -> list[ApiToken]:
    """The acting user's own tokens, newest first (revoked and expired ones included)."""
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == actor.user_id)
            .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        ).all()
    )


def revoke_api_token(session: Session, actor: Actor, token_id: int, *, now: datetime) -> None:
    """Revoke one of the acting user's own tokens; someone else's is a NotFound (audited)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != actor.user_id:
        record(
            session,
            actor.audit_subject,
            action=AuditAction.update,
            object_type="ApiToken",
            object_id=token_id,
            outcome=AuditOutcome.denied,
            detail="not found",
        )
        raise NotFound(N_("Dit token bestaat niet."))
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        record(
            session,
            actor.audit_subject,
            action=AuditAction.update,
            object_type="ApiToken",
            object_id=row.id,
            detail="revoked",
        )
        session.flush()


@dataclass(frozen=True)
class ApiCaller:
    """Who an API token speaks for: the user's Actor (same rules and audit as the UI) and
    the token's scopes."""

    actor: Actor
    scopes: frozenset[str]
    token: ApiToken

    @property
    def may_read(self) -> bool:
        return bool(self.scopes & {SCOPE_PATIENT_READ, SCOPE_USER_READ, SCOPE_USER_WRITE})

    @property
    def may_write(self) -> bool:
        return SCOPE_USER_WRITE in self.scopes


def _api_lookup(session: Session, token: str) -> TokenMatch | TokenRefusal:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None:
        return TokenRefusal("invalid token")
    if row.revoked_at is not None:
        return TokenRefusal("revoked token", row.id)
    if row.expires_at <= utcnow():
        return TokenRefusal("expired token", row.id)
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return TokenRefusal("inactive account", row.id)
    return TokenMatch(
        token_id=row.id,  # type: ignore[arg-type]
        user_name=user.name,
        organisation="",
        principal=(user, row),
    )


API_TOKENS = TokenKind(
    audit_type="ApiToken",
    role="api",
    lookup=_api_lookup,
    refused_message=N_("Geen geldig API-token (onbekend, verlopen of ingetrokken)."),
)


def authenticate_api(
    session: Session,
    authorization: str | None,
    *,
    client_address: str,
    now: datetime,
    action: AuditAction = AuditAction.read,
) -> ApiCaller:
    """The one bearer-token-to-Actor step of the API: refusals audited and throttled per
    address like the device API; the Actor is the token's user, so every record is loaded
    and audited exactly as in the UI."""
    found = authenticate(
        session, API_TOKENS, authorization, client_address=client_address, now=now, action=action
    )
    user, row = found.match.principal  # type: ignore[misc]
    row.last_used_at = now
    session.add(row)
    return ApiCaller(
        actor=actor_for(session, user, client_address),
        scopes=frozenset(row.scopes.split()),
        token=row,
    )
