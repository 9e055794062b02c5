"""Shared model helpers: naming convention, UTC timestamps, enum columns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

from zelfzorg.errors import N_

# Stable constraint names from the first migration on, so batch mode on SQLite can alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_column(*, nullable: bool = True, index: bool = False, default=None) -> sa.Column:
    return sa.Column(UTCDateTime(), nullable=nullable, index=index, default=default)


def enum_column(enum: type[StrEnum], *, nullable: bool = False, index: bool = False, **kw):
    """Store enums as their string values (VARCHAR), portable and readable in SQL."""
    length = max(len(m.value) for m in enum)
    return sa.Column(sa.String(max(length, 16)), nullable=nullable, index=index, **kw)


@dataclass(frozen=True)
class PatientRecord:
    """How the access layer (``accounts.scope.load_for``) reaches the patient a record belongs
    to. Every table model of a patient's data declares one as ``patient_record``; a test fails
    when a model with a ``patient_id`` column (or a parent that has one) does not.

    ``via`` names the column holding the parent's id when the record has no ``patient_id`` of
    its own (e.g. a referral event reaches its patient through the referral)."""

    object_type: str  # the name in the audit log
    not_found: str  # Dutch msgid shown when it does not exist or may not be revealed
    via: tuple[str, type] | None = None


RECORD_NOT_FOUND = N_("Dit gegeven bestaat niet of u heeft er geen toegang toe.")
