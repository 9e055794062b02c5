"""The professional's worklist: which patients of the practice need attention, most urgent first.

Domains contribute *sources* (``worklist_sources.py`` in the domain package). A source has two
parts:

* ``reasons(session, practice_ids, today)``: a SELECT of the reasons it sees, one row per
  reason, with the columns of :data:`REASON_COLUMNS` (patient, practice of today, kind, rank,
  the record it is about, a date and a time to order by). No query is run to build it, except
  a source may read a handful of settings rows.
* ``describe(session, reasons, today)``: the lines for the reasons of the *shown* page, with at
  most one query for all of them.

The reasons of every source are combined in SQL (UNION ALL), grouped per patient, ordered by
the most urgent reason and paged there, so the page costs the same handful of statements
whether the practice has 20 or 2,000 patients (see ``tests/test_query_counts.py``). A patient
counts for the practice of today by the practice history (``patients.population``).

Sources restrict their rows through :func:`practice_place` (every patient of the practices
today) and :func:`practice_population` (the population of the practices today): one CTE each,
the same object for every source of a statement, so the database computes them once and
every source joins to them by patient id instead of repeating the subquery.

The union of the reasons is itself a CTE that the page's statement reads twice: grouped per
patient for the order, the page, its total and the counts per kind, then joined to the page's
patients for their reasons. The sources are built once per page and the database computes
the reasons once (a CTE used twice is kept by SQLite and PostgreSQL alike). A source reads its
settings through :func:`read_once`, once for a page (also when past the end the last page is
asked for again).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.models_base import UTCDateTime
from zelfzorg.patients.models import Patient
from zelfzorg.patients.population import population, practice_on

#: The columns every source's reasons SELECT yields, in this order.
REASON_COLUMNS = ("patient_id", "practice_id", "kind", "rank", "ref_id", "due", "at")


@dataclass(frozen=True)
class Reason:
    """One row of a source's reasons SELECT."""

    patient_id: int
    practice_id: int | None
    kind: str
    rank: int
    ref_id: int | None
    due: date | None
    at: datetime | None


@dataclass(frozen=True)
class WorklistItem:
    patient_id: int
    patient_name: str
    kind: str  # filter key, e.g. "urgent_alert", "review_due"
    rank: int  # lower is more urgent; see RANKS
    message: str  # Dutch msgid, translated by the view
    params: dict = field(default_factory=dict)
    endpoint: str = "patients.detail"  # where to act
    endpoint_args: dict = field(default_factory=dict)
    due: date | datetime | None = None
    practice_id: int | None = None  # the patient's practice, shown when the actor has several
    type_code: str | None = None  # the measurement this reason is about (latest value shown)


@dataclass(frozen=True)
class PatientRow:
    """One line of the worklist: a patient with every reason, most urgent first."""

    patient_id: int
    patient_name: str
    practice_id: int | None
    items: list[WorklistItem]
    latest: object | None = None  # telemonitoring Measurement: the latest relevant value

    @property
    def kind(self) -> str:
        return self.items[0].kind if self.items else ""


@dataclass(frozen=True)
class WorklistPage:
    rows: list[PatientRow]
    total: int  # patients with a (selected) reason
    counts: dict[str, int]  # patients per kind, whatever the filter
    page: int
    pages: int


# Ranking of the kinds of work, most urgent first.
RANKS = {
    "urgent_alert": 10,
    "trend_alert": 20,
    "goal_to_agree": 25,
    "review_due": 30,
    "assessment_due": 40,
    "no_plan": 50,
    "no_agreed_goals": 55,
    "referral_waiting": 60,
}

ReasonsQuery = Callable[[Session, list[int], date], sa.Select]
Describe = Callable[[Session, Sequence[Reason], date], list[WorklistItem]]


@dataclass(frozen=True)
class Source:
    reasons: ReasonsQuery
    describe: Describe


SOURCES: dict[str, Source] = {}
KIND_LABELS: dict[str, str] = {}
_KIND_SOURCE: dict[str, str] = {}


def register_source(
    name: str, reasons: ReasonsQuery, describe: Describe, kinds: dict[str, str]
) -> None:
    """Add a source; ``kinds`` maps each kind it yields to a Dutch label msgid (singular: the
    label tags one reason of one patient)."""
    SOURCES[name] = Source(reasons, describe)
    KIND_LABELS.update(kinds)
    _KIND_SOURCE.update(dict.fromkeys(kinds, name))


def reason_select(
    *,
    patient_id,
    practice_id,
    kind,
    rank,
    ref_id=None,
    due=None,
    at=None,
) -> list:
    """The labelled column list of a reasons SELECT (``select(*reason_select(...))``)."""
    values = {
        "patient_id": patient_id,
        "practice_id": practice_id,
        "kind": sa.literal(kind, sa.String) if isinstance(kind, str) else kind,
        "rank": sa.literal(rank, sa.Integer) if isinstance(rank, int) else rank,
        "ref_id": sa.cast(sa.null(), sa.Integer) if ref_id is None else ref_id,
        "due": sa.cast(sa.null(), sa.Date) if due is None else sa.type_coerce(due, sa.Date),
        "at": sa.cast(sa.null(), UTCDateTime())
        if at is None
        else sa.type_coerce(at, UTCDateTime()),
    }
    return [values[name].label(name) for name in REASON_COLUMNS]


@dataclass
class _Build:
    """What the statements of one worklist page are built with."""

    reads: dict = field(default_factory=dict)  # read_once results


_BUILD: ContextVar[_Build | None] = ContextVar("worklist_build", default=None)


@contextmanager
def _building() -> Iterator[_Build]:
    build = _Build()
    token = _BUILD.set(build)
    try:
        yield build
    finally:
        _BUILD.reset(token)


def read_once(key: tuple, load: Callable[[], object]):
    """A source's settings read (``load()``), done once for the statements of one page."""
    build = _BUILD.get()
    if build is None:
        return load()
    if key not in build.reads:
        build.reads[key] = load()
    return build.reads[key]


def practice_place(practice_ids: Collection[int], today: date) -> sa.CTE:
    """CTE (patient_id, practice_id): every patient of the practices on ``today`` by the
    practice history, enrolled or not. The same object for the same arguments, so all sources
    of one worklist statement share one CTE."""
    return _place(tuple(sorted(practice_ids)), today)


def practice_population(practice_ids: Collection[int], today: date) -> sa.CTE:
    """CTE (patient_id, practice_id): the population of the practices on ``today``
    (``patients.population``), shared like :func:`practice_place`."""
    return _population(tuple(sorted(practice_ids)), today)


@lru_cache(maxsize=64)
def _place(practice_ids: tuple[int, ...], today: date) -> sa.CTE:
    place = practice_on(today)
    return (
        select(place.c.patient_id, place.c.practice_id)
        .where(place.c.practice_id.in_(list(practice_ids)))
        .cte("worklist_place")
    )


@lru_cache(maxsize=64)
def _population(practice_ids: tuple[int, ...], today: date) -> sa.CTE:
    return population(today, practice_ids=list(practice_ids)).cte("worklist_population")


def source_items(
    session: Session, name: str, practice_ids: Collection[int], today: date
) -> list[WorklistItem]:
    """Every line of one source for the practices, unpaged (tests and small lists)."""
    if not practice_ids:
        return []
    source = SOURCES[name]
    rows = session.execute(source.reasons(session, sorted(practice_ids), today)).all()  # type: ignore[call-overload]
    items = source.describe(session, [Reason(*row) for row in rows], today)
    ids = {item.patient_id for item in items}
    names = {
        pid: f"{given} {family}"
        for pid, given, family in session.execute(
            select(Patient.id, Patient.given_name, Patient.family_name).where(
                col(Patient.id).in_(ids)
            )
        ).all()
    }
    return sorted(
        (_named(item, names[item.patient_id]) for item in items),
        key=lambda i: (*_item_key(i), i.patient_name, i.patient_id),
    )


def _reasons(session: Session, practice_ids: list[int], today: date) -> sa.CTE:
    selects: list = []
    for source in SOURCES.values():
        stmt = source.reasons(session, practice_ids, today)
        # A source may give a UNION of its own; SQLite refuses nested compound SELECTs.
        selects.extend(stmt.selects if isinstance(stmt, sa.CompoundSelect) else [stmt])
    return sa.union_all(*selects).cte("reasons")


def worklist_page(
    session: Session,
    practice_ids: Collection[int],
    today: date,
    *,
    kinds: Collection[str] | None = None,
    page: int = 1,
    page_size: int | None = 50,
    latest_values: Callable[[Session, dict[int, list[str]]], dict[int, object]] | None = None,
) -> WorklistPage:
    """The patients with work, one row each with all their reasons, most urgent first.

    With ``kinds`` only patients with a reason of one of those kinds (each still shows all
    reasons). Grouping, ordering and paging happen in SQL; only the page's reasons are read
    (a second statement for just its patients) and described. ``latest_values`` maps
    {patient: [type codes, most relevant first]} to {patient: measurement} in one query.
    """
    # Past the end, the last page is asked for again within the same build.
    with nullcontext() if _BUILD.get() is not None else _building():
        return _worklist_page(
            session,
            practice_ids,
            today,
            kinds=kinds,
            page=page,
            page_size=page_size,
            latest_values=latest_values,
        )


def _worklist_page(
    session: Session,
    practice_ids: Collection[int],
    today: date,
    *,
    kinds: Collection[str] | None = None,
    page: int = 1,
    page_size: int | None = 50,
    latest_values: Callable[[Session, dict[int, list[str]]], dict[int, object]] | None = None,
) -> WorklistPage:
    practice_ids = sorted(practice_ids)
    if not practice_ids:
        return WorklistPage([], 0, {}, 1, 1)
    # The reasons of every source once, a CTE the statement reads twice (the database keeps
    # it): grouped per patient for the page, then the page's own reasons.
    reasons = _reasons(session, practice_ids, today)
    all_kinds = sorted(KIND_LABELS)
    wanted = sorted(set(kinds or ()) & set(KIND_LABELS))
    # One row per patient with a flag per kind; the counts per kind (whatever the filter) are
    # window sums over those rows, so the page, its total and the counts come together.
    per_patient = (
        select(
            reasons.c.patient_id,
            sa.func.min(reasons.c.practice_id).label("practice_id"),
            sa.func.min(reasons.c.rank).label("top"),
            sa.func.min(reasons.c.due).label("first_due"),
            *[
                sa.func.max(sa.case((reasons.c.kind == kind, 1), else_=0)).label(f"has_{i}")
                for i, kind in enumerate(all_kinds)
            ],
        )
        .group_by(reasons.c.patient_id)
        .subquery("per_patient")
    )
    with_counts = select(
        per_patient,
        *[
            sa.func.sum(per_patient.c[f"has_{i}"]).over().label(f"count_{i}")
            for i in range(len(all_kinds))
        ],
    ).subquery("with_counts")
    count_columns = [with_counts.c[f"count_{i}"] for i in range(len(all_kinds))]
    order = (
        with_counts.c.top,
        with_counts.c.first_due.is_(None),
        with_counts.c.first_due,
        Patient.family_name,
        Patient.given_name,
        with_counts.c.patient_id,
    )
    grouped = (
        select(
            with_counts.c.patient_id,
            with_counts.c.practice_id,
            Patient.given_name,
            Patient.family_name,
            *count_columns,
            sa.func.count().over().label("total"),
            sa.func.row_number().over(order_by=order).label("position"),
        )
        .join(Patient, col(Patient.id) == with_counts.c.patient_id)
        .order_by(*order)
    )
    if wanted:
        grouped = grouped.where(
            sa.or_(*[with_counts.c[f"has_{all_kinds.index(kind)}"] == 1 for kind in wanted])
        )
    page = max(1, page)
    if page_size is not None:
        grouped = grouped.limit(page_size).offset((page - 1) * page_size)
    # The page's rows, then the reasons of its patients: one statement, two parts (``part``
    # 0 and 1) with the columns of both, the other part's left NULL. The reasons are found by
    # the page's patient ids (an IN list the database indexes), not by a join to the page.
    shown_page = grouped.cte("shown_page")
    reason_types = {"kind": sa.String, "rank": sa.Integer, "ref_id": sa.Integer}
    reason_types |= {"due": sa.Date, "at": UTCDateTime}
    page_part = select(
        sa.literal(0, sa.Integer).label("part"),
        *shown_page.c,
        *[sa.cast(sa.null(), t()).label(f"r_{name}") for name, t in reason_types.items()],
    )
    reasons_part = select(
        sa.literal(1, sa.Integer),
        reasons.c.patient_id,
        reasons.c.practice_id,
        *[sa.cast(sa.null(), sa.String)] * 2,  # the names
        *[sa.cast(sa.null(), sa.Integer)] * (len(all_kinds) + 2),  # counts, total, position
        *[reasons.c[name] for name in reason_types],
    ).where(reasons.c.patient_id.in_(select(shown_page.c.patient_id)))
    both = sa.union_all(page_part, reasons_part).subquery("page_and_reasons")
    rows = session.execute(select(both).order_by(both.c.part, both.c.position)).all()
    found = [row for row in rows if row.part == 0]  # in page order
    shown = [
        Reason(row.patient_id, row.practice_id, *(row._mapping[f"r_{n}"] for n in reason_types))
        for row in rows
        if row.part == 1
    ]
    if not found and page > 1 and page_size is not None:
        # Past the end (the list got shorter): show the last page.
        total = session.execute(
            select(sa.func.count()).select_from(grouped.limit(None).offset(None).subquery())
        ).scalar_one()
        last = max(1, -(-total // page_size))
        if last < page:
            return worklist_page(
                session,
                practice_ids,
                today,
                kinds=kinds,
                page=last,
                page_size=page_size,
                latest_values=latest_values,
            )
    if found:
        totals = found[0][5 : 5 + len(all_kinds)]
    else:  # nobody on this page (or for this filter): the counts still describe the practice
        totals = session.execute(select(*count_columns).limit(1)).first() or ()
    counts = {kind: int(n) for kind, n in zip(all_kinds, totals, strict=False) if n}
    total = found[0].total if found else 0
    pages = max(1, -(-total // page_size)) if page_size else 1
    ids = [row.patient_id for row in found]
    if not ids:
        return WorklistPage([], total, counts, page, pages)
    by_source: dict[str, list[Reason]] = {}
    for reason in shown:
        by_source.setdefault(_KIND_SOURCE[reason.kind], []).append(reason)
    names = {row.patient_id: f"{row.given_name} {row.family_name}" for row in found}
    items: dict[int, list[WorklistItem]] = {pid: [] for pid in ids}
    for name, source_reasons in by_source.items():
        for item in SOURCES[name].describe(session, source_reasons, today):
            items[item.patient_id].append(
                item if item.patient_name else _named(item, names[item.patient_id])
            )
    for pid in ids:
        items[pid].sort(key=_item_key)
    latest: dict[int, object] = {}
    if latest_values is not None:
        wanted_types = {
            pid: list(dict.fromkeys(i.type_code for i in items[pid] if i.type_code)) for pid in ids
        }
        wanted_types = {pid: codes for pid, codes in wanted_types.items() if codes}
        if wanted_types:
            latest = latest_values(session, wanted_types)
    rows = [
        PatientRow(
            patient_id=row.patient_id,
            patient_name=names[row.patient_id],
            practice_id=row.practice_id,
            items=items[row.patient_id],
            latest=latest.get(row.patient_id),
        )
        for row in found
    ]
    return WorklistPage(rows, total, counts, page, pages)


def _named(item: WorklistItem, name: str) -> WorklistItem:
    from dataclasses import replace

    return replace(item, patient_name=name)


def _item_key(item: WorklistItem) -> tuple:
    due = item.due
    if isinstance(due, datetime):
        due = due.date()
    return (item.rank, due is None, due or date.min, item.kind)


def collect(
    session: Session, practice_ids: Collection[int], today: date, kinds: set[str] | None = None
) -> list[WorklistItem]:
    """Every reason of the patients who belong to one of ``practice_ids`` today, flat, in the
    worklist's order (patients by their most urgent reason, then each patient's reasons)."""
    page = worklist_page(session, practice_ids, today, page_size=None)
    return [item for row in page.rows for item in row.items if not kinds or item.kind in kinds]
