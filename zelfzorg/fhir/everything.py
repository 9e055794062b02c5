"""``Patient/{id}/$everything``: every resource of one patient, paged without a cap.

Paging is keyset on (resource type in a fixed order, id): a page link names the last type and
id it showed, so pages never skip or repeat a resource, however many there are. No Flask."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.audit.models import AuditAction
from zelfzorg.errors import N_
from zelfzorg.fhir.resources import forget_diastolics, prefetch_diastolics
from zelfzorg.fhir.search import SPECS, SearchError, parse_count

# Patient first, then what refers to it; AuditEvent is the patient's own log (AuditEvent search).
EVERYTHING_TYPES = (
    "Patient",
    "Condition",
    "EpisodeOfCare",
    "CarePlan",
    "Goal",
    "Observation",
    "QuestionnaireResponse",
    "ServiceRequest",
)


@dataclass(frozen=True)
class EverythingPage:
    rows: list[tuple[str, object]]  # (resource type, row)
    next_cursor: str | None


def parse_types(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return EVERYTHING_TYPES
    wanted = [t.strip() for t in raw.split(",") if t.strip()]
    unknown = [t for t in wanted if t not in EVERYTHING_TYPES]
    if unknown:
        raise SearchError(
            N_("_type kan alleen zijn: %(allowed)s."),
            field="_type",
            allowed=", ".join(EVERYTHING_TYPES),
        )
    return tuple(t for t in EVERYTHING_TYPES if t in wanted)


def parse_since(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        since = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if since.tzinfo is None:
            raise ValueError
    except ValueError:
        raise SearchError(
            N_("_since moet een tijdstip met tijdzone zijn (bijv. 2026-01-01T00:00:00Z)."),
            field="_since",
        ) from None
    return since


# A position: the last id shown of a type; for Observations (time, id), their order.
Position = int | tuple[datetime, int]


def _position(type_name: str, row) -> Position:
    return (row.measured_at, row.id) if type_name in BY_TIME else row.id


def _encode(type_name: str, after: Position) -> str:
    if isinstance(after, tuple):
        value: list = [type_name, after[1], after[0].isoformat()]
    else:
        value = [type_name, after]
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, Position]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        type_name, rid, *at = json.loads(raw)
        if type_name not in EVERYTHING_TYPES or not isinstance(rid, int) or isinstance(rid, bool):
            raise ValueError
        if type_name in BY_TIME:
            (text,) = at
            when = datetime.fromisoformat(text)
            if when.tzinfo is None:
                raise ValueError
            return type_name, (when, rid)
        if at:
            raise ValueError
    except (ValueError, TypeError):
        raise SearchError(N_("Ongeldige paginaverwijzing."), field="_cursor") from None
    return type_name, rid


# Observations, the bulk of a long record: read as plain rows (every column, no ORM objects;
# rendered from their columns only, resources.observation) in the order of the patient-time
# index (time, id), so that each page is an index range, not a sort of the whole record.
# The other types' renderers may follow relations; they are few and ordered by id.
BY_TIME = frozenset({"Observation"})


def _query(type_name: str, patient_id: int, since: datetime | None, after: Position | None):
    spec = SPECS[type_name]
    ident = col(spec.model.id)  # type: ignore[attr-defined]
    if type_name in BY_TIME:
        table = spec.model.__table__
        query = sa.select(table).where(table.c.patient_id == patient_id)
        order = (table.c.measured_at, table.c.id)
    elif spec.patient_column is None:
        query = select(spec.model).where(ident == patient_id)
        order = (ident,)
    else:
        query = select(spec.model).where(spec.patient_column == patient_id)
        order = (ident,)
    if spec.base_filter is not None:
        query = query.where(spec.base_filter())
    if since is not None:
        query = query.where(spec.last_updated >= since)
    if isinstance(after, tuple):
        query = query.where(sa.tuple_(*order) > sa.tuple_(*after))
    elif after is not None:
        query = query.where(ident > after)
    return query.order_by(*order)


def everything(
    session: Session,
    actor: Actor,
    patient_id: int,
    *,
    count: str | None = None,
    since: str | None = None,
    types: str | None = None,
    cursor: str | None = None,
    audit: bool = True,
) -> EverythingPage:
    """One page of everything of a patient the actor may reach (audited as an export)."""
    limit = parse_count(count)
    since_at = parse_since(since)
    wanted = parse_types(types)
    start_type, after = _decode(cursor) if cursor else (None, None)
    if audit:
        get_patient_for(
            session, actor, patient_id, action=AuditAction.export, object_type="PatientEverything"
        )
    rows: list[tuple[str, object]] = []
    more = False
    started = start_type is None
    for type_name in wanted:
        if not started:
            if type_name != start_type:
                continue
            started = True
            type_after = after
        else:
            type_after = None
        need = limit - len(rows)
        found = _rows(session, type_name, _query(type_name, patient_id, since_at, type_after), need)
        rows += [(type_name, row) for row in found[:need]]
        if len(found) > need:
            more = True
            break
        if len(rows) == limit:
            more = _any_after(session, wanted, type_name, patient_id, since_at)
            break
    next_cursor = None
    if more and rows:
        last_type, last_row = rows[-1]
        next_cursor = _encode(last_type, _position(last_type, last_row))
    return EverythingPage(rows, next_cursor)


def _rows(session: Session, type_name: str, query, need: int) -> list:
    """Up to ``need + 1`` rows (one more tells whether a next page exists)."""
    if type_name in BY_TIME:
        return list(session.execute(query.limit(need + 1)).all())
    return list(session.exec(query.limit(need + 1)).all())


def _any_after(
    session: Session, wanted: tuple[str, ...], current: str, patient_id: int, since
) -> bool:
    later = wanted[wanted.index(current) + 1 :]
    return any(_rows(session, t, _query(t, patient_id, since, None), 0) for t in later)


def all_of(
    session: Session,
    actor: Actor,
    patient_id: int,
    render: Callable[[str, object], dict],
    *,
    page_size: int = 500,
) -> list[dict]:
    """Every resource of the patient as one list (see :func:`stream_all` for large records)."""
    return list(stream_all(session, actor, patient_id, render, page_size=page_size))


def stream_all(
    session: Session,
    actor: Actor,
    patient_id: int,
    render: Callable[[str, object], dict],
    *,
    page_size: int = 500,
) -> Iterator[dict]:
    """Every resource of the patient (the right-of-access download), all pages, no cap,
    streamed: one keyset page at a time is read, rendered and let go, so memory stays that of
    one page however long the record. The access check and its audit entry happen now, before
    the first resource; the resources come when the iterator is consumed."""
    get_patient_for(
        session, actor, patient_id, action=AuditAction.export, object_type="PatientEverything"
    )

    def pages() -> Iterator[dict]:
        cursor = None
        try:
            while True:
                page = everything(
                    session, actor, patient_id, count=str(page_size), cursor=cursor, audit=False
                )
                prefetch_diastolics(session, [r for t, r in page.rows if t == "Observation"])
                for type_name, row in page.rows:
                    yield render(type_name, row)
                if page.next_cursor is None:
                    return
                cursor = page.next_cursor
        finally:
            forget_diastolics(session)

    return pages()
