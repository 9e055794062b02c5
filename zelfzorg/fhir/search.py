"""FHIR search over our tables: the parameters each resource type supports, and keyset
(seek) paging on (sort key, id), so a page link never skips or repeats a resource even when
rows are added meanwhile. No Flask here."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from zelfzorg.accounts.scope import Actor, audit, audit_shown, patients_query
from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion
from zelfzorg.audit.models import AuditAction, AuditEntry
from zelfzorg.errors import N_, ValidationError
from zelfzorg.inputs import parse_id
from zelfzorg.izp.models import CarePlan, Goal
from zelfzorg.leefstijl.models import Referral
from zelfzorg.patients.models import Condition, Enrolment, Patient
from zelfzorg.telemonitoring.models import Measurement

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DEFAULT_COUNT = 50
MAX_COUNT = 500
PREFIXES = ("ge", "le", "gt", "lt", "eq")


class SearchError(ValidationError):
    """A search parameter we cannot honour: 400 with an OperationOutcome naming it."""


@dataclass(frozen=True)
class ResourceSpec:
    """One resource type: its table, how it reaches its patient, its search parameters
    (FHIR name -> column) and how a row becomes a resource."""

    name: str
    model: type
    patient_column: sa.ColumnElement | None  # None for Patient itself (its own id)
    dates: Mapping[str, sa.ColumnElement]  # search parameter -> column (date or datetime)
    last_updated: sa.ColumnElement
    codes: Callable[[list[str]], sa.ColumnElement] | None = None
    statuses: Callable[[list[str], date], sa.ColumnElement] | None = None
    base_filter: Callable[[], sa.ColumnElement] | None = None
    sorts: tuple[str, ...] = ("_id", "_lastUpdated")
    extra: Mapping[str, Callable[[str], sa.ColumnElement]] = field(default_factory=dict)
    # "patient": records of patients the actor reaches (load_for / patients_query);
    # "public": definitions without patient data (Questionnaire);
    # "own_log": a patient's own access log, for that patient only (AuditEvent).
    access: str = "patient"


@dataclass(frozen=True)
class Page:
    rows: list
    total: int
    next_cursor: str | None
    previous_cursor: str | None


def parse_count(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_COUNT
    count = parse_id(raw)
    if count is None or not 0 <= count <= MAX_COUNT:
        raise SearchError(
            N_("_count moet een getal van 0 tot %(max)s zijn."), field="_count", max=MAX_COUNT
        )
    return count


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), AMSTERDAM).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), AMSTERDAM).astimezone(UTC)
    return start, end


def date_clause(column: sa.ColumnElement, raw: str, name: str, is_datetime: bool):
    """``ge2026-01-01``, ``lt2026-02-01T10:00:00+01:00``, ``2026-01-05`` (the whole day)."""
    prefix, value = ("eq", raw)
    if raw[:2] in PREFIXES:
        prefix, value = raw[:2], raw[2:]
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError
            low = high = moment if is_datetime else moment.date()
            exact = True
        else:
            day = date.fromisoformat(value)
            exact = False
            if is_datetime:
                low, high = _day_bounds(day)
            else:
                low, high = day, day + timedelta(days=1)
    except ValueError:
        raise SearchError(
            N_("%(name)s: geen geldige datum (bijv. ge2026-01-01): %(value)s"),
            field=name,
            name=name,
            value=raw[:40],
        ) from None
    if exact:
        return {
            "ge": column >= low,
            "gt": column > low,
            "le": column <= low,
            "lt": column < low,
            "eq": column == low,
        }[prefix]
    return {
        "ge": column >= low,
        "gt": column >= high,
        "le": column < high,
        "lt": column < low,
        "eq": sa.and_(column >= low, column < high),
    }[prefix]


def reference_id(raw: str, expected: str = "Patient") -> int:
    number = parse_id(raw.removeprefix(f"{expected}/"))
    if number is None:
        raise SearchError(N_("Onbekende verwijzing: %(value)s"), field="patient", value=raw[:40])
    return number


# --- cursors ------------------------------------------------------------------------------------


def encode_cursor(direction: str, key: object, rid: int) -> str:
    if isinstance(key, datetime):
        value: list = ["dt", key.astimezone(UTC).isoformat()]
    elif isinstance(key, date):
        value = ["d", key.isoformat()]
    else:
        value = ["i", key]
    raw = json.dumps([direction, value, rid]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, object, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        direction, (kind, value), rid = json.loads(raw)
        key = {
            "dt": datetime.fromisoformat,
            "d": date.fromisoformat,
            "i": int,
        }[kind](value)
        if direction not in ("next", "previous") or not isinstance(rid, int):
            raise ValueError
    except (ValueError, TypeError, KeyError):
        raise SearchError(N_("Ongeldige paginaverwijzing."), field="_cursor") from None
    return direction, key, rid


# --- the search ---------------------------------------------------------------------------------


def _sort_column(spec: ResourceSpec, sort: str | None) -> tuple[sa.ColumnElement, bool]:
    """(column, descending) of ``_sort`` (default: _id)."""
    sort = sort or "_id"
    descending = sort.startswith("-")
    name = sort.removeprefix("-")
    if name not in spec.sorts:
        raise SearchError(
            N_("_sort kan hier alleen op: %(allowed)s."),
            field="_sort",
            allowed=", ".join(spec.sorts),
        )
    if name == "_id":
        return col(spec.model.id), descending  # type: ignore[attr-defined]
    if name == "_lastUpdated":
        return spec.last_updated, descending
    return spec.dates[name], descending


# _total / _totalMethod: we always count, so asking for it changes nothing.
KNOWN = {"_count", "_sort", "_cursor", "_format", "_total", "_totalMethod"}


def search(
    session: Session,
    actor: Actor,
    spec: ResourceSpec,
    params: Mapping[str, list[str]],
    *,
    today: date,
) -> Page:
    """One page of the resources of ``spec`` the actor may reach, filtered by ``params``
    (name -> values, AND-ed; a comma is OR within one value). Every patient shown is audited."""
    model = spec.model
    ident = col(model.id)  # type: ignore[attr-defined]
    reachable = patients_query(actor).with_only_columns(col(Patient.id))
    query = select(model)
    # "public" resources (Questionnaire) are the same for everyone: no patient filter.
    if spec.access == "own_log":
        own = actor.user.patient_id if actor.is_patient else None
        query = query.where(spec.patient_column == own if own is not None else sa.false())
    elif spec.access != "public":
        column = ident if spec.patient_column is None else spec.patient_column
        query = query.where(column.in_(reachable))
    if spec.base_filter is not None:
        query = query.where(spec.base_filter())
    for name, values in params.items():
        for raw in values:
            query = query.where(_clause(spec, name, raw, today))
    count = parse_count(_one(params, "_count"))
    sort_col, descending = _sort_column(spec, _one(params, "_sort"))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    cursor = _one(params, "_cursor")
    direction, key, rid = decode_cursor(cursor) if cursor else ("next", None, None)
    forward = direction == "next"
    # Walking backwards is walking the reversed order forwards.
    walk_desc = descending if forward else not descending
    page_query = query
    if key is not None:
        after = (
            (sort_col < key) | ((sort_col == key) & (ident < rid))
            if walk_desc
            else ((sort_col > key) | ((sort_col == key) & (ident > rid)))
        )
        page_query = page_query.where(after)
    order = (sort_col.desc(), ident.desc()) if walk_desc else (sort_col.asc(), ident.asc())
    rows = list(session.exec(page_query.order_by(*order).limit(count + 1)).all())
    more = len(rows) > count
    rows = rows[:count]
    if not forward:
        rows.reverse()
    if not rows:
        next_cursor = previous_cursor = None
    else:
        first, last = rows[0], rows[-1]
        has_next = more if forward else True
        has_previous = (key is not None) if forward else more
        next_cursor = (
            encode_cursor("next", _key_of(session, spec, sort_col, last), last.id)
            if has_next
            else None
        )
        previous_cursor = (
            encode_cursor("previous", _key_of(session, spec, sort_col, first), first.id)
            if has_previous
            else None
        )
    if spec.access == "patient":
        audit_shown(session, actor, [_patient_id(spec, r) for r in rows], object_type=spec.name)
    elif spec.access == "own_log" and actor.is_patient:
        audit(
            session,
            actor,
            action=AuditAction.read,
            object_type="AuditLog",
            patient_id=actor.user.patient_id,
        )
    return Page(rows, total, next_cursor, previous_cursor)


def _key_of(session: Session, spec: ResourceSpec, sort_col, row) -> object:
    return getattr(row, sort_col.key)


def _patient_id(spec: ResourceSpec, row) -> int:
    return row.id if spec.patient_column is None else getattr(row, spec.patient_column.key)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name) or []
    if len(values) > 1:
        raise SearchError(N_("%(name)s mag maar één keer."), field=name, name=name)
    return values[0] if values else None


def _ids(raw: str, name: str) -> list[int]:
    ids = [parse_id(p.strip()) for p in raw.split(",")]
    if any(i is None for i in ids):
        raise SearchError(
            N_("%(name)s: geen geldig id: %(value)s"), field=name, name=name, value=raw[:40]
        )
    return ids  # type: ignore[return-value]


def _clause(spec: ResourceSpec, name: str, raw: str, today: date) -> sa.ColumnElement:
    if name in KNOWN:
        return sa.true()
    ident = col(spec.model.id)  # type: ignore[attr-defined]
    if name == "_id":
        return ident.in_(_ids(raw, name))
    if name in ("patient", "subject") and spec.patient_column is not None:
        return spec.patient_column.in_([reference_id(p) for p in raw.split(",")])
    if name == "_lastUpdated":
        return date_clause(spec.last_updated, raw, name, True)
    if name in spec.dates:
        column = spec.dates[name]
        is_datetime = isinstance(getattr(column.type, "impl", column.type), sa.DateTime)
        return date_clause(column, raw, name, is_datetime)
    if name == "code" and spec.codes is not None:
        return spec.codes([c.rsplit("|", 1)[-1] for c in raw.split(",")])
    if name == "status" and spec.statuses is not None:
        return spec.statuses(raw.split(","), today)
    if name in spec.extra:
        return spec.extra[name](raw)
    raise SearchError(
        N_("Zoekparameter %(name)s wordt bij %(type)s niet ondersteund."),
        field=name,
        name=name[:40],
        type=spec.name,
    )


# --- the resource types -------------------------------------------------------------------------


def _observation_codes(codes: list[str]) -> sa.ColumnElement:
    from zelfzorg.fhir.resources import observation_types

    known = observation_types()
    return col(Measurement.type_code).in_([known[c] for c in codes if c in known])


def _observation_status(statuses: list[str], _today: date) -> sa.ColumnElement:
    clauses = []
    if "final" in statuses:
        clauses.append(col(Measurement.supersedes_id).is_(None))
    if "amended" in statuses:
        clauses.append(col(Measurement.supersedes_id).is_not(None))
    return sa.or_(*clauses) if clauses else sa.false()


def _episode_status(statuses: list[str], today: date) -> sa.ColumnElement:
    ended = col(Enrolment.end_date).is_not(None) & (col(Enrolment.end_date) <= today)
    clauses = []
    if "active" in statuses:
        clauses.append(~ended)
    if "finished" in statuses:
        clauses.append(ended)
    return sa.or_(*clauses) if clauses else sa.false()


def _episode_codes(codes: list[str]) -> sa.ColumnElement:
    return col(Enrolment.programme).in_(codes)


def _identifier(raw: str) -> sa.ColumnElement:
    from zelfzorg.fhir.resources import HIS_SYSTEM

    system, _, value = raw.rpartition("|")
    if system and system != HIS_SYSTEM:
        return sa.false()
    return col(Patient.his_number) == value


def _emitted_observations() -> sa.ColumnElement:
    from zelfzorg.fhir.resources import emitted_type_codes

    return col(Measurement.type_code).in_(emitted_type_codes()) & col(
        Measurement.superseded_at
    ).is_(None)


SPECS: dict[str, ResourceSpec] = {
    "Patient": ResourceSpec(
        name="Patient",
        model=Patient,
        patient_column=None,
        dates={"birthdate": col(Patient.date_of_birth)},
        last_updated=col(Patient.created_at),
        extra={"identifier": _identifier},
        sorts=("_id", "_lastUpdated", "birthdate"),
    ),
    "Condition": ResourceSpec(
        name="Condition",
        model=Condition,
        patient_column=col(Condition.patient_id),
        dates={"recorded-date": col(Condition.recorded_at)},
        last_updated=col(Condition.recorded_at),
        codes=lambda codes: col(Condition.code).in_(codes),
        sorts=("_id", "_lastUpdated", "recorded-date"),
    ),
    "EpisodeOfCare": ResourceSpec(
        name="EpisodeOfCare",
        model=Enrolment,
        patient_column=col(Enrolment.patient_id),
        dates={"date": col(Enrolment.start_date)},
        last_updated=col(Enrolment.created_at),
        codes=_episode_codes,
        statuses=_episode_status,
        sorts=("_id", "_lastUpdated", "date"),
    ),
    "Observation": ResourceSpec(
        name="Observation",
        model=Measurement,
        patient_column=col(Measurement.patient_id),
        dates={"date": col(Measurement.measured_at)},
        last_updated=col(Measurement.created_at),
        codes=_observation_codes,
        statuses=_observation_status,
        base_filter=_emitted_observations,
        sorts=("_id", "_lastUpdated", "date"),
    ),
    "CarePlan": ResourceSpec(
        name="CarePlan",
        model=CarePlan,
        patient_column=col(CarePlan.patient_id),
        dates={"date": col(CarePlan.created_at)},
        last_updated=col(CarePlan.updated_at),
        statuses=lambda statuses, _today: sa.true() if "active" in statuses else sa.false(),
        sorts=("_id", "_lastUpdated", "date"),
    ),
    "Goal": ResourceSpec(
        name="Goal",
        model=Goal,
        patient_column=col(Goal.patient_id),
        dates={"target-date": col(Goal.due_date)},
        last_updated=col(Goal.updated_at),
        extra={
            "lifecycle-status": lambda raw: col(Goal.lifecycle).in_(raw.split(",")),
            "achievement-status": lambda raw: col(Goal.achievement).in_(
                [c.rsplit("|", 1)[-1] for c in raw.split(",")]
            ),
        },
        sorts=("_id", "_lastUpdated"),
    ),
    "Questionnaire": ResourceSpec(
        name="Questionnaire",
        model=InstrumentVersion,
        patient_column=None,
        dates={},
        last_updated=col(InstrumentVersion.loaded_at),
        statuses=lambda statuses, _today: sa.or_(
            col(InstrumentVersion.is_current).is_(True) if "active" in statuses else sa.false(),
            col(InstrumentVersion.is_current).is_(False) if "retired" in statuses else sa.false(),
        ),
        extra={"name": lambda raw: col(InstrumentVersion.code).in_(raw.split(","))},
        access="public",
    ),
    "QuestionnaireResponse": ResourceSpec(
        name="QuestionnaireResponse",
        model=AssessmentResponse,
        patient_column=col(AssessmentResponse.patient_id),
        dates={"authored": col(AssessmentResponse.started_at)},
        last_updated=col(AssessmentResponse.started_at),
        statuses=lambda statuses, _today: col(AssessmentResponse.status).in_(
            [{"in-progress": "in_progress"}.get(s, s) for s in statuses]
        ),
        extra={
            "questionnaire": lambda raw: col(AssessmentResponse.instrument_version_id).in_(
                [reference_id(r, "Questionnaire") for r in raw.split(",")]
            )
        },
        sorts=("_id", "_lastUpdated", "authored"),
    ),
    "ServiceRequest": ResourceSpec(
        name="ServiceRequest",
        model=Referral,
        patient_column=col(Referral.patient_id),
        dates={"authored": col(Referral.created_at)},
        last_updated=col(Referral.updated_at),
        statuses=lambda statuses, _today: col(Referral.state).in_(
            [state for state, fhir in _referral_status().items() if fhir in statuses]
        ),
        sorts=("_id", "_lastUpdated", "authored"),
    ),
    "AuditEvent": ResourceSpec(
        name="AuditEvent",
        model=AuditEntry,
        patient_column=col(AuditEntry.patient_id),
        dates={"date": col(AuditEntry.at)},
        last_updated=col(AuditEntry.at),
        sorts=("_id", "_lastUpdated", "date"),
        access="own_log",
    ),
}


def _referral_status() -> dict[str, str]:
    from zelfzorg.fhir.resources import REFERRAL_STATUS

    return REFERRAL_STATUS
