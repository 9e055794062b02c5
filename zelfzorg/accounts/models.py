"""Organisations and user accounts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from zelfzorg.models_base import RECORD_NOT_FOUND, PatientRecord, enum_column, utc_column, utcnow


class Role(StrEnum):
    patient = "patient"
    professional = "professional"
    caregroup = "caregroup"
    admin = "admin"


class Discipline(StrEnum):
    poh = "poh"
    gp = "gp"
    dietitian = "dietitian"
    physiotherapist = "physiotherapist"
    other = "other"


# Staff accounts must use two-factor authentication.
MFA_ROLES = frozenset({Role.professional, Role.caregroup, Role.admin})


class CareGroup(SQLModel, table=True):
    __tablename__ = "care_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, sa_column_kwargs={"unique": True})
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class Practice(SQLModel, table=True):
    __tablename__ = "practice"

    id: int | None = Field(default=None, primary_key=True)
    care_group_id: int = Field(foreign_key="care_group.id", index=True)
    name: str = Field(max_length=200)
    city: str = Field(default="", max_length=100)
    agb_code: str | None = Field(default=None, max_length=8)
    # Shown to the practice's patients on their home page (as typed, e.g. "0344 61 23 45").
    phone: str = Field(default="", max_length=20)
    # Optimistic locking of the administrator's edit form.
    version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "role in ('patient','professional','caregroup','admin')", name="role_valid"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True})
    name: str = Field(max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    role: Role = Field(sa_column=enum_column(Role))
    discipline: Discipline | None = Field(
        default=None, sa_column=enum_column(Discipline, nullable=True)
    )
    practice_id: int | None = Field(default=None, foreign_key="practice.id", index=True)
    care_group_id: int | None = Field(default=None, foreign_key="care_group.id", index=True)
    patient_id: int | None = Field(
        default=None, foreign_key="patient.id", sa_column_kwargs={"unique": True}
    )
    is_active: bool = Field(default=True)
    locale: str | None = Field(default=None, max_length=5)
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enrolled_at: datetime | None = Field(default=None, sa_column=utc_column())
    totp_last_counter: int | None = Field(default=None)
    failed_logins: int = Field(default=0)
    locked_until: datetime | None = Field(default=None, sa_column=utc_column())
    last_login_at: datetime | None = Field(default=None, sa_column=utc_column())
    activated_at: datetime | None = Field(default=None, sa_column=utc_column())
    session_nonce: str = Field(default="0", max_length=32)
    is_demo: bool = Field(default=False)
    # Optimistic locking of the administrator's edit form (name, e-mail, role, practice).
    version: int = Field(default=1)
    deactivated_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))

    # Flask-Login protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The nonce lets a password change or logout-everywhere invalidate old sessions.
        return f"{self.id}.{self.session_nonce}"

    @property
    def needs_mfa(self) -> bool:
        return self.role in MFA_ROLES


class PracticeMembership(SQLModel, table=True):
    """A professional also works for this practice, besides their home practice
    (``User.practice_id``): e.g. a dietitian of the care group who sees patients of several
    practices. Their scope is the union of the home practice and these memberships."""

    __tablename__ = "practice_membership"
    __table_args__ = (sa.UniqueConstraint("user_id", "practice_id", name="uq_practice_membership"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    created_by_id: int | None = Field(default=None)


class ActivationCode(SQLModel, table=True):
    """A single-use code a practice hands to a patient to create their account."""

    __tablename__ = "activation_code"

    patient_record: ClassVar[PatientRecord] = PatientRecord("ActivationCode", RECORD_NOT_FOUND)
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    code_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_by_id: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())


class ThrottleHit(SQLModel, table=True):
    """One failed attempt (login, second factor, activation) by an address or for an
    account; the limiter counts them in a window. In the database, so every app process
    sees the same counts."""

    __tablename__ = "throttle_hit"
    __table_args__ = (sa.Index("ix_throttle_hit_lookup", "scope", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=20)
    key: str = Field(max_length=100)
    at: datetime = Field(sa_column=utc_column(nullable=False))


class ApiToken(SQLModel, table=True):
    """A bearer token a user made for an API client (the FHIR API): it speaks for that user,
    within its scopes, until it expires or is revoked. Only the SHA-256 of the token is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    label: str = Field(default="", max_length=100)
    scopes: str = Field(max_length=200)  # space-separated, e.g. "user/*.read user/*.write"
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())


class PasswordReset(SQLModel, table=True):
    """A single-use way back in for someone who forgot their password: a code handed over by
    the practice or an administrator (``kind`` "code"), or a link sent by e-mail ("email").
    Only the SHA-256 of the code or link token is kept; it expires and is used at most once."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=10)  # "code" or "email"
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())
