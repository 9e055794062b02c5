"""Bearer token to caller: the one step every token API goes through (the device API now,
the FHIR API next).

A token kind (:class:`TokenKind`) says how to look its tokens up; :func:`authenticate` does
the rest the same way for every kind: it refuses an address that is guessing (too many
refused tokens within the window) before the token is even looked at, audits every refused
token as denied (never the token itself), and returns who the token speaks for with the
audit subject to record their actions under.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.audit.services import AuditSubject, record
from zelfzorg.errors import N_, DomainError

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
