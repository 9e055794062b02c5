"""The maintained eligibility table (``lifestyle_eligibility``): every patient's outcome for
every active intervention of their care group, so lists and counts read rows instead of
evaluating 7 interventions' criteria for a whole practice per request.

Computing is set-based and the same SQL as the live evaluation (``criteria.sql``): one
SELECT of the facts with one outcome column per intervention for any number of patients,
then the rows replaced (delete + one executemany). It runs

- for the patients whose facts changed: a measurement (recorded, corrected, imported), an
  enrolment (added, ended, imported), an activation assessment completed, the patient's date
  of birth, sex or practice (:func:`patients_changed`);
- for the whole care group when its catalogue changes (:func:`care_group_changed`);
- for every row whose window ended (a birthday, an enrolment's start or end, a reading growing
  too old, a reading dated after the day it was computed), daily (job
  ``lifestyle_eligibility``), and for everyone with ``flask --app wsgi zelfzorg
  lifestyle-eligibility`` (:func:`rebuild`); the generator fills it.

A change to at most ``INLINE_LIMIT`` patients is recomputed in the change's own transaction.
A larger one (an import, a catalogue change of a large care group, a day with many expired
rows) only takes the patients' rows away and queues them (``lifestyle_eligibility_queue``,
:func:`queue`): the interval job ``lifestyle_eligibility_queue`` (:func:`drain_queue`)
recomputes them ``QUEUE_CHUNK`` at a time, each chunk its own short transaction, so neither
the change nor the job holds SQLite's write lock for seconds. Until then the queued patients
have no rows and are evaluated live, the same answer.

A row answers for a reference date d when ``computed_on <= d < valid_until``. Readers
(:func:`uncovered_patients`) evaluate live whoever has no such row for every active
intervention, so a stale or missing row is never read as an answer. Referrals are not facts
of the criteria: "not yet offered" checks them at read time (an index seek per pair).

Concurrency (PostgreSQL, read committed): the job locks the queue entries it computes
(``FOR UPDATE SKIP LOCKED``) and removes only the generation it read. A change first writes
(queue) or removes (inline) the patients' queue entries, so it waits for a job computing them
and its own delete of their rows, a statement after that wait, also removes what the job
wrote from older facts; a job never picks up an entry a change holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Practice
from zelfzorg.db import dialect_insert, insert_new, session_scope
from zelfzorg.leefstijl.criteria import MeasurementCompare, walk
from zelfzorg.leefstijl.criteria.sql import compile_criteria, facts_query, local_midnight
from zelfzorg.leefstijl.models import Eligibility, EligibilityQueue, Intervention
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Enrolment, Patient
from zelfzorg.telemonitoring.models import Measurement

ELIGIBLE, UNKNOWN, NOT_ELIGIBLE = "eligible", "unknown", "not_eligible"
# Without any boundary a row is still recomputed once a year (the daily job).
LONGEST_DAYS = 366
INSERT_BATCH = 5000
#: A change to more patients than this queues them instead of recomputing them in its own
#: transaction (about 0.3 ms a patient on SQLite: at most some 60 ms inside a request).
INLINE_LIMIT = 200
#: Patients per transaction of the queue job (a short hold of SQLite's write lock).
QUEUE_CHUNK = 500
IDS_PER_STATEMENT = 5000  # bound ids per IN list (SQLite allows 32,766 parameters)


def _services():
    from zelfzorg.leefstijl import services

    return services


def next_birthday(born: date, today: date) -> date:
    """The first day after ``today`` on which the age changes (29 February: 28 February in
    other years, a day early is harmless)."""
    for year in (today.year, today.year + 1):
        try:
            day = born.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day > today:
            return day
    return today + timedelta(days=LONGEST_DAYS)  # pragma: no cover - unreachable


def local_day(moment: datetime) -> date:
    """The local (Europe/Amsterdam) calendar day of ``moment``."""
    services = _services()
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(services.AMSTERDAM).date()


def _ids_select(patient_ids: Collection[int] | sa.Select) -> sa.Select | list[int]:
    return patient_ids if isinstance(patient_ids, sa.Select) else sorted(set(patient_ids))


def compute(
    session: Session,
    care_group_id: int,
    patient_ids: Collection[int] | sa.Select,
    today: date,
    *,
    now: datetime | None = None,
) -> list[dict]:
    """The rows for these patients (of this care group) as of ``today``: one SELECT."""
    services = _services()
    interventions = services.active_interventions(session, care_group_id)
    if not interventions:
        return []
    trees = [services.parsed(i) for i in interventions]
    ids = _ids_select(patient_ids)
    id_select = (
        ids
        if isinstance(ids, sa.Select)
        else select(col(Patient.id)).where(col(Patient.id).in_(ids))
    )
    stmt, facts = facts_query(
        trees,
        id_select,
        today,
        zone=services.AMSTERDAM,
        max_age_days=services.MAX_MEASUREMENT_AGE_DAYS,
        smoking_code=services.SMOKING_CODE,
    )
    outcomes = []
    for i, tree in enumerate(trees):
        met, not_met = compile_criteria(tree, facts)
        outcomes.append(
            sa.case((met, ELIGIBLE), (not_met, NOT_ELIGIBLE), else_=UNKNOWN).label(f"o{i}")
        )
    codes = sorted({n.code for t in trees for n in walk(t) if isinstance(n, MeasurementCompare)})
    measured = [facts.measurements[c].c.measured_at.label(f"m{j}") for j, c in enumerate(codes)]
    next_start = (
        select(sa.func.min(Enrolment.start_date))
        .where(Enrolment.patient_id == Patient.id, col(Enrolment.start_date) > today)
        .correlate(Patient)
        .scalar_subquery()
    )
    next_end = (
        select(sa.func.min(Enrolment.end_date))
        .where(Enrolment.patient_id == Patient.id, col(Enrolment.end_date) > today)
        .correlate(Patient)
        .scalar_subquery()
    )
    # A reading dated after today (a device clock a few minutes ahead at midnight) is not a
    # fact yet; on its day it is, so the row holds until then.
    tomorrow = local_midnight(today + timedelta(days=1), services.AMSTERDAM)
    next_reading = (
        select(sa.func.min(Measurement.measured_at))
        .where(
            Measurement.patient_id == Patient.id,
            col(Measurement.type_code).in_([*codes, services.SMOKING_CODE]),
            col(Measurement.superseded_at).is_(None),
            col(Measurement.measured_at) >= tomorrow,
        )
        .correlate(Patient)
        .scalar_subquery()
    )
    stmt = stmt.add_columns(
        col(Patient.date_of_birth),
        next_start.label("next_start"),
        next_end.label("next_end"),
        next_reading.label("next_reading"),
        *measured,
        *outcomes,
    )
    now = now or utcnow()
    stale_after = services.MAX_MEASUREMENT_AGE_DAYS + 1
    rows = []
    for row in session.execute(stmt):
        patient_id, born, start, end, ahead = row[0], row[1], row[2], row[3], row[4]
        bounds = [today + timedelta(days=LONGEST_DAYS)]
        if born is not None:
            bounds.append(next_birthday(born, today))
        bounds += [d for d in (start, end) if d is not None]
        if ahead is not None:
            bounds.append(max(local_day(ahead), today + timedelta(days=1)))
        for moment in row[5 : 5 + len(codes)]:
            if moment is not None:
                stale = local_day(moment) + timedelta(days=stale_after)
                if stale > today:  # fresh now: the outcome may change when it grows old
                    bounds.append(stale)
        valid_until = min(bounds)
        for intervention, outcome in zip(interventions, row[5 + len(codes) :], strict=True):
            rows.append(
                {
                    "patient_id": patient_id,
                    "intervention_id": intervention.id,
                    "outcome": outcome,
                    "computed_on": today,
                    "valid_until": valid_until,
                    "computed_at": now,
                }
            )
    return rows


def _replace(session: Session, patient_ids: Collection[int] | sa.Select, rows: list[dict]) -> int:
    ids = _ids_select(patient_ids)
    session.execute(
        sa.delete(Eligibility).where(col(Eligibility.patient_id).in_(ids)),
        execution_options={"synchronize_session": False},
    )
    _insert(session, rows)
    return len(rows)


def _insert(session: Session, rows: list[dict]) -> None:
    """The rows by one executemany of plain values per ``INSERT_BATCH`` (``insert_new``; the
    ORM's bulk insert builds its parameters row by row, most of an import's eligibility cost).
    The rows of these patients were just deleted: the unique key skips nothing."""
    for start in range(0, len(rows), INSERT_BATCH):
        insert_new(
            session,
            Eligibility.__table__,  # type: ignore[attr-defined]
            rows[start : start + INSERT_BATCH],
            unique=("patient_id", "intervention_id"),
        )


def patients_changed(session: Session, patient_ids: Iterable[int], today: date) -> int:
    """These patients' facts changed: recompute their rows now (at most ``INLINE_LIMIT``;
    returns the rows written) or queue them (more; returns 0)."""
    ids = sorted({int(p) for p in patient_ids if p is not None})
    if not ids:
        return 0
    if len(ids) > INLINE_LIMIT:
        queue(session, ids)
        return 0
    session.flush()
    # Their queue entries first (PostgreSQL: waits for a job computing them, see above).
    session.execute(
        sa.delete(EligibilityQueue).where(col(EligibilityQueue.patient_id).in_(ids)),
        execution_options={"synchronize_session": False},
    )
    return _recompute(session, ids, today)


def _recompute(session: Session, ids: list[int], today: date) -> int:
    groups: dict[int, list[int]] = {}
    for pid, group in session.execute(
        select(Patient.id, Practice.care_group_id)
        .join(Practice, col(Practice.id) == Patient.practice_id)
        .where(col(Patient.id).in_(ids))
    ):
        groups.setdefault(group, []).append(pid)
    rows: list[dict] = []
    for group, members in groups.items():
        rows += compute(session, group, members, today)
    return _replace(session, ids, rows)


def queue(
    session: Session,
    patient_ids: Collection[int] | sa.Select,
    *,
    intervention_id: int | None = None,
) -> None:
    """Take these patients' rows away and queue them for :func:`drain_queue` (in the
    caller's transaction: the change and its queue entries commit together). With
    ``intervention_id`` (its catalogue entry changed) only that intervention's rows go: a
    patient without a row for every active intervention is not covered, so is evaluated live
    all the same, and the job replaces all of their rows."""
    session.flush()
    ids = _ids_select(patient_ids)
    chunks = (
        [ids]
        if isinstance(ids, sa.Select)
        else [ids[i : i + IDS_PER_STATEMENT] for i in range(0, len(ids), IDS_PER_STATEMENT)]
    )
    dialect = session.connection().dialect
    table = EligibilityQueue.__table__  # type: ignore[attr-defined]
    moment = utcnow()
    for chunk in chunks:
        source = (
            chunk
            if isinstance(chunk, sa.Select)
            else select(col(Patient.id)).where(col(Patient.id).in_(chunk))
        ).subquery("queued")
        wanted = select(
            source.c[list(source.c.keys())[0]],
            sa.literal(1, sa.Integer),
            sa.literal(moment, table.c.queued_at.type),
        ).where(sa.true())  # SQLite: an upsert's SELECT needs a WHERE (parsing ambiguity)
        upsert = dialect_insert(dialect, table).from_select(
            ["patient_id", "generation", "queued_at"], wanted
        )
        session.execute(
            upsert.on_conflict_do_update(
                index_elements=["patient_id"],
                set_={
                    "generation": table.c.generation + 1,
                    "queued_at": upsert.excluded.queued_at,
                },
            )
        )
        stale = sa.delete(Eligibility).where(col(Eligibility.patient_id).in_(chunk))
        if intervention_id is not None:
            stale = stale.where(Eligibility.intervention_id == intervention_id)
        session.execute(stale, execution_options={"synchronize_session": False})


def drain_queue(engine, today: date | None = None, *, chunk: int | None = None) -> str:
    """Recompute the queued patients, ``QUEUE_CHUNK`` per transaction, until none is left
    (the interval job; one indexed look-up when the queue is empty)."""
    size = chunk or QUEUE_CHUNK
    day = today or local_day(utcnow())
    done = 0
    waited = 0.0  # the longest any recomputed patient stood in the queue (seconds)
    while True:
        with session_scope(engine) as session:
            picked = (
                select(
                    EligibilityQueue.patient_id,
                    EligibilityQueue.generation,
                    EligibilityQueue.queued_at,
                )
                .order_by(col(EligibilityQueue.patient_id))
                .limit(size)
            )
            if session.connection().dialect.name == "postgresql":
                picked = picked.with_for_update(skip_locked=True)
            entries = session.execute(picked).all()
            if not entries:
                break
            _recompute(session, [pid for pid, _g, _at in entries], day)
            session.connection().execute(
                sa.delete(EligibilityQueue).where(
                    col(EligibilityQueue.patient_id) == sa.bindparam("p"),
                    col(EligibilityQueue.generation) == sa.bindparam("g"),
                ),
                [{"p": pid, "g": generation} for pid, generation, _at in entries],
            )
            oldest = min(at for _p, _g, at in entries)
            waited = max(waited, (utcnow() - oldest).total_seconds())
        done += len(entries)
        if len(entries) < size:
            break
    if not done:
        return "0 queued patients recomputed"
    return f"{done} queued patients recomputed, the longest after {waited:.0f} s in the queue"


def _group_patients(care_group_id: int) -> sa.Select:
    return select(col(Patient.id)).where(
        col(Patient.practice_id).in_(
            select(Practice.id).where(Practice.care_group_id == care_group_id)
        )
    )


def care_group_changed(
    session: Session, care_group_id: int, today: date, *, intervention_id: int | None = None
) -> int:
    """Recompute every patient of the care group (its catalogue changed: the entry
    ``intervention_id`` added or edited), set-based; a care group of more than
    ``INLINE_LIMIT`` patients is queued instead (returns 0)."""
    session.flush()
    ids = _group_patients(care_group_id)
    size = session.execute(select(sa.func.count()).select_from(ids.subquery())).scalar_one()
    if size > INLINE_LIMIT:
        queue(session, ids, intervention_id=intervention_id)
        return 0
    return _replace(session, ids, compute(session, care_group_id, ids, today))


def rebuild(session: Session, today: date, *, now: datetime | None = None) -> int:
    """Recompute every patient of every care group; returns the rows written (``now`` is
    the computed_at stamp, for a generator that must be deterministic)."""
    session.flush()
    session.execute(sa.delete(Eligibility), execution_options={"synchronize_session": False})
    session.execute(sa.delete(EligibilityQueue), execution_options={"synchronize_session": False})
    written = 0
    groups = session.execute(
        select(Intervention.care_group_id).where(col(Intervention.active).is_(True)).distinct()
    ).scalars()
    for group in sorted(groups):
        rows = compute(session, group, _group_patients(group), today, now=now)
        _insert(session, rows)
        written += len(rows)
    return written


def refresh_expired(session: Session, today: date) -> str:
    """Daily job: recompute the patients whose rows no longer answer for ``today`` (more than
    ``INLINE_LIMIT``: queued for the interval job)."""
    expired = (
        select(Eligibility.patient_id)
        .where(sa.or_(col(Eligibility.valid_until) <= today, col(Eligibility.computed_on) > today))
        .distinct()
    )
    ids = list(session.execute(expired).scalars())
    written = patients_changed(session, ids, today) if ids else 0
    if len(ids) > INLINE_LIMIT:
        return f"{len(ids)} patients queued"
    return f"{len(ids)} patients, {written} eligibility rows recomputed"


def valid_on(day: date) -> sa.ColumnElement[bool]:
    """SQL: the row answers for reference date ``day``."""
    return sa.and_(col(Eligibility.computed_on) <= day, col(Eligibility.valid_until) > day)


def table_answers(intervention_ids: Collection[int], day: date, *, name: str) -> sa.CTE:
    """A MATERIALIZED CTE ``name`` (patient_id, eligible) of every patient the table answers
    for on ``day`` (every one of ``intervention_ids`` has a row valid on ``day``), ``eligible``
    1 when eligible for at least one of them, else 0; set-based: one pass over the rows of
    these interventions for a whole population, read as a hashed set by those who ask (the
    patients it answers "eligible" for, and its unanswered ones to evaluate live) instead of a
    look-up per patient. :func:`table_answer` is the same question for one patient, by key."""
    wanted = sorted(set(intervention_ids))
    return (
        select(
            col(Eligibility.patient_id).label("patient_id"),
            sa.func.max(_eligible_flag()).label("eligible"),
        )
        .where(col(Eligibility.intervention_id).in_(wanted), valid_on(day))
        .group_by(col(Eligibility.patient_id))
        .having(sa.func.count() == len(wanted))
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


def _eligible_flag() -> sa.ColumnElement[int]:
    return sa.case((Eligibility.outcome == ELIGIBLE, 1), else_=0)


def table_answer(patient_id, intervention_ids: Collection[int], day: date) -> sa.ColumnElement:
    """SQL: the table's answer for ``patient_id`` (a column) on ``day``, in one look-up of its
    rows by key (a count over the primary key (patient_id, intervention_id), so a patient is
    checked without reading the care group's table): 1 eligible for at least one of
    ``intervention_ids``, 0 not, NULL when the table does not answer for the patient (not
    every intervention has a row valid on ``day``)."""
    wanted = sorted(set(intervention_ids))
    return (
        select(
            sa.case(
                (
                    sa.func.count() == len(wanted),
                    sa.func.max(_eligible_flag()),
                )
            )
        )
        .where(
            Eligibility.patient_id == patient_id,
            col(Eligibility.intervention_id).in_(wanted),
            valid_on(day),
        )
        .scalar_subquery()
    )


def uncovered_patients(
    session: Session, patient_ids: sa.Select, intervention_ids: Collection[int], day: date
) -> list[int]:
    """Those of ``patient_ids`` the table cannot answer for on ``day`` (evaluate them live);
    one query, usually empty (:func:`table_answer` per patient)."""
    if not intervention_ids:
        return []
    inner = patient_ids.subquery("wanted")
    first = inner.c[list(inner.c.keys())[0]]
    return list(
        session.execute(
            select(first).where(table_answer(first, intervention_ids, day).is_(None))
        ).scalars()
    )


def _criteria_codes() -> set[str]:
    from zelfzorg.leefstijl.criteria import MEASUREMENTS

    return set(MEASUREMENTS) | {_services().SMOKING_CODE}


def measurements_changed(
    session: Session, changed: Iterable[tuple[int, str]], now: datetime
) -> int:
    """Measurements (patient id, type code) were added, corrected or imported at ``now``:
    recompute the patients with a code criteria can read (readings such as blood pressure
    or glucose from a device change no lifestyle criterion)."""
    return patients_changed(session, criteria_patients(changed), local_day(now))


def criteria_patients(changed: Iterable[tuple[int, str]]) -> set[int]:
    """The patients of these (patient id, type code) readings whose eligibility they can
    change: those with a code a criterion reads."""
    codes = _criteria_codes()
    return {pid for pid, code in changed if code in codes}


def changed_now(session: Session, patient_ids: Iterable[int], now: datetime) -> int:
    """:func:`patients_changed` for a change made at ``now`` (its local calendar day)."""
    return patients_changed(session, patient_ids, local_day(now))
