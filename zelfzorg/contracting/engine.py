"""Compute indicator figures: ONE SQL statement for all patient indicators, grouped by
practice and stratum (programme, sex, age band), whatever the number of patients or practices.

One MATERIALIZED row per patient of the population holds a 0/1 column per distinct condition
(shared conditions once); the statement unions groupings of those rows: by (practice, sex, age
band) — every patient once, from which the practice totals and the sex and age strata are
summed —, by (practice, programme), where a multimorbid patient counts once per programme, and
per split indicator (A2) by (practice, value). The care-group figures are sums over the
practices (a patient belongs to one practice on d). ``cell_query`` is one indicator's rows per
patient, for the lists behind a figure.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlmodel import col, select

from zelfzorg.contracting.indicators import (
    Context,
    Definition,
    LatestValues,
    kept_latest_value,
    parts,
)
from zelfzorg.contracting.indicators import years_before as _years_before
from zelfzorg.contracting.report_data import Figure, Stratum
from zelfzorg.leefstijl.services import active_interventions
from zelfzorg.patients.models import Enrolment, Patient
from zelfzorg.patients.population import enrolment_active_on, population_subquery
from zelfzorg.telemonitoring.models import MeasurementLatest

AGE_BANDS = ("<70", "70-79", ">=80")


def age_band_sql(date_of_birth, day: date) -> sa.ColumnElement[str]:
    """'<70', '70-79' or '>=80' on ``day`` (exact: born on or before the cut-off day)."""
    return sa.case(
        (date_of_birth > _years_before(day, 70), sa.literal("<70")),
        (date_of_birth > _years_before(day, 80), sa.literal("70-79")),
        else_=sa.literal(">=80"),
    )


def age_band(date_of_birth: date, day: date) -> str:
    """Python twin of :func:`age_band_sql`."""
    if date_of_birth > _years_before(day, 70):
        return "<70"
    if date_of_birth > _years_before(day, 80):
        return "70-79"
    return ">=80"


def cell_query(ctx: Context, definition: Definition) -> sa.Select:
    """One row per patient of the population on d: patient_id, practice_id, den, num, value.

    The conditions are evaluated once per patient in a MATERIALIZED common table expression
    (SQLite and PostgreSQL both honour it), so the numerator's reuse of the denominator and
    the outer groupings do not repeat the subqueries."""
    pop = population_subquery(ctx.d, care_group_id=ctx.care_group_id)
    pid = pop.c.patient_id
    den = definition.den(ctx, pid) if definition.den is not None else sa.true()
    num = definition.num(ctx, pid) if definition.num is not None else sa.false()
    value = sa.null()
    if definition.value is not None:
        value = sa.case((den, definition.value(ctx, pid)))
    flags = (
        select(
            pid.label("patient_id"),
            pop.c.practice_id.label("practice_id"),
            sa.case((den, 1), else_=0).label("d"),
            sa.case((num, 1), else_=0).label("n"),
            sa.cast(value, sa.Float).label("value"),
        )
        .cte(f"flags_{definition.info.id.lower()}")
        .prefix_with("MATERIALIZED")
    )
    return select(
        flags.c.patient_id,
        flags.c.practice_id,
        flags.c.d.label("den"),
        (flags.c.d * flags.c.n).label("num"),
        flags.c.value,
    )


class _Cell:
    __slots__ = ("den", "num", "value_sum", "value_count")

    def __init__(self) -> None:
        self.den = self.num = self.value_count = 0
        self.value_sum = 0.0

    def add(self, den, num, value_sum, value_count) -> None:
        self.den += int(den or 0)
        self.num += int(num or 0)
        self.value_sum += float(value_sum or 0)
        self.value_count += int(value_count or 0)


def mean_of(total: float, count: int) -> float | None:
    if not count:
        return None
    return float(Decimal(repr(total / count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _flag_rows(ctx: Context, definitions: list[Definition], *, base=None):
    """The MATERIALIZED row of 0/1 flags per patient (every distinct condition once) and the
    plan: per definition the flag names of its denominator and numerator. ``base`` gives the
    patients (patient_id, practice_id); the care group's population when None."""
    if base is None:
        base = population_subquery(ctx.d, care_group_id=ctx.care_group_id)
    pid = base.c.patient_id
    atoms: dict[object, str] = {}

    def flags_of(condition) -> list[str]:
        names = []
        for part in parts(condition):
            names.append(atoms.setdefault(part, f"c{len(atoms)}"))
        return names

    plan = [
        (
            flags_of(d.den) if d.den is not None else [],
            flags_of(d.num) if d.num is not None else None,
        )
        for d in definitions
    ]
    columns = [pid.label("patient_id"), base.c.practice_id.label("practice_id")]
    columns += [sa.case((part(ctx, pid), 1), else_=0).label(name) for part, name in atoms.items()]
    return select(*columns).cte("flags").prefix_with("MATERIALIZED"), plan


def _with_latest_values(ctx: Context, definitions: list[Definition], wanted: list[tuple[str, str]]):
    """``_flag_rows`` over one MATERIALIZED row per patient of the population with the
    latest values ``wanted`` (each read once, from the patient's ``measurement_latest`` row,
    outer-joined), and the context whose conditions read them from it."""
    pop = population_subquery(ctx.d, care_group_id=ctx.care_group_id)
    kept = MeasurementLatest.__table__
    rows = pop
    values = []
    for n, (code, field) in enumerate(wanted):
        row = kept.alias(f"kept_{n}")
        rows = rows.outerjoin(
            row, sa.and_(row.c.patient_id == pop.c.patient_id, row.c.type_code == code)
        )
        values.append(
            kept_latest_value(ctx, pop.c.patient_id, code, field, row).label(f"latest_{n}")
        )
    latest = (
        select(
            pop.c.patient_id.label("patient_id"),
            pop.c.practice_id.label("practice_id"),
            *values,
        )
        .select_from(rows)
        .cte("latest_values")
        .prefix_with("MATERIALIZED")
    )
    shared = replace(
        ctx, latest=LatestValues({key: latest.c[f"latest_{n}"] for n, key in enumerate(wanted)})
    )
    flags, plan = _flag_rows(shared, definitions, base=latest)
    return flags, plan, shared


def combined_statement(ctx: Context, definitions: list[Definition], *, strata: bool) -> sa.Select:
    """ONE statement for many (non-split) patient indicators: the population is built once,
    every distinct condition is ONE 0/1 column of a MATERIALIZED row per patient (a condition
    several indicators share, such as I1's numerator that is I1b's denominator or L2's
    denominator inside L3's, is evaluated once), values (I4's score) are looked up only for
    the patients they count for, and the groupings sum them all. Columns: grouping,
    practice_id, sex, band, other, then per indicator den, num, value_sum, value_count."""
    # The values several conditions read, looked up once per patient: a first build notes
    # which (``LatestValues.wanted``), then one MATERIALIZED row per patient holds them.
    collecting = LatestValues()
    flags, plan = _flag_rows(replace(ctx, latest=collecting), definitions)
    if collecting.wanted:
        flags, plan, ctx = _with_latest_values(ctx, definitions, collecting.wanted)

    def product(source, names: list[str] | None):
        if names is None:
            return sa.literal_column("0", sa.Integer)
        if not names:
            return sa.literal_column("1", sa.Integer)
        out = source.c[names[0]]
        for name in names[1:]:
            out = out * source.c[name]
        return out

    values = [
        (i, definition) for i, definition in enumerate(definitions) if definition.value is not None
    ]
    rows = flags
    if values:
        counted = []
        for i, definition in values:
            den, num = plan[i]
            both = product(flags, den) * product(flags, num)
            value = definition.value(ctx, flags.c.patient_id)  # type: ignore[misc]
            counted.append(sa.cast(sa.case((both == 1, value)), sa.Float).label(f"v{i}"))
        rows = select(flags, *counted).cte("valued").prefix_with("MATERIALIZED")

    def sums(source):
        out = []
        for i, (den, num) in enumerate(plan):
            d, n = product(source, den), product(source, num)
            v = source.c[f"v{i}"] if f"v{i}" in source.c else sa.cast(sa.null(), sa.Float)
            out += [
                sa.func.sum(d),
                sa.func.sum(d * n),
                sa.func.sum(v),
                sa.func.count(v),
            ]
        return out

    null = sa.null()
    band = age_band_sql(col(Patient.date_of_birth), ctx.d)
    people = (
        select(
            sa.literal("people").label("grouping"),
            rows.c.practice_id,
            sa.cast(col(Patient.sex), sa.String).label("sex"),
            band.label("band"),
            null.label("other"),
            *sums(rows),
        )
        .join(Patient, col(Patient.id) == rows.c.patient_id)
        .group_by(rows.c.practice_id, col(Patient.sex), band)
    )
    # A split indicator (A2): its denominator counted per value (activation level) instead of
    # the usual strata, from the same rows.
    splits = [
        select(
            sa.literal(f"split{i}").label("grouping"),
            rows.c.practice_id,
            null.label("sex"),
            null.label("band"),
            sa.cast(rows.c[f"v{i}"], sa.String).label("other"),
            *sums(rows),
        )
        .where(product(rows, plan[i][0]) == 1)
        .group_by(rows.c.practice_id, rows.c[f"v{i}"])
        for i, definition in enumerate(definitions)
        if definition.split
    ]
    if not strata:
        return sa.union_all(people, *splits) if splits else people
    # Each patient's programmes on d (distinct pairs), then joined to the patient's one row:
    # a DISTINCT over the whole row of flags per enrolment hashed every column.
    programmes = (
        select(
            col(Enrolment.patient_id).label("patient_id"),
            sa.cast(col(Enrolment.programme), sa.String).label("programme"),
        )
        .where(enrolment_active_on(ctx.d))
        .distinct()
        .subquery("programmes")
    )
    enrolled = (
        select(rows, programmes.c.programme)
        .join(programmes, programmes.c.patient_id == rows.c.patient_id)
        .subquery("enrolled")
    )
    by_programme = select(
        sa.literal("programme").label("grouping"),
        enrolled.c.practice_id,
        null.label("sex"),
        null.label("band"),
        enrolled.c.programme.label("other"),
        *sums(enrolled),
    ).group_by(enrolled.c.practice_id, enrolled.c.programme)
    return sa.union_all(people, by_programme, *splits)


STATEMENT_CACHE_SIZE = 32  # built statements kept per process (care group x period x options)
_statements: OrderedDict[tuple, sa.Select] = OrderedDict()
_statements_lock = threading.Lock()


def statement_key(session, ctx: Context, definitions: list[Definition], *, strata: bool) -> tuple:
    """What :func:`combined_statement` depends on: the dialect, the care group, the period,
    the definitions (module constants, in order), the strata option and the active catalogue
    interventions with their criteria (L2's denominator reads the eligibility rows of those
    ids and is compiled from those criteria; ``ctx.interventions`` holds them)."""
    criteria = tuple(
        (i.id, json.dumps(i.criteria, sort_keys=True, default=str)) for i in ctx.interventions or ()
    )
    return (
        session.get_bind().dialect.name,
        ctx.care_group_id,
        ctx.start,
        ctx.end,
        tuple(definitions),
        strata,
        criteria,
    )


def cached_statement(session, ctx: Context, definitions: list[Definition], *, strata: bool):
    """:func:`combined_statement`, built once per :func:`statement_key` (least recently used
    ones dropped beyond ``STATEMENT_CACHE_SIZE``). The same statement object also keeps its
    SQLAlchemy cache key, so the compiled form is found in the engine's cache. The catalogue
    is read once, for the key and the statement alike, so a built or a kept statement costs
    the same SQL."""
    if ctx.interventions is None:
        ctx = replace(ctx, interventions=tuple(active_interventions(session, ctx.care_group_id)))
    key = statement_key(session, ctx, definitions, strata=strata)
    with _statements_lock:
        statement = _statements.get(key)
        if statement is not None:
            _statements.move_to_end(key)
            return statement
    statement = combined_statement(ctx, definitions, strata=strata)
    with _statements_lock:
        _statements[key] = statement
        while len(_statements) > STATEMENT_CACHE_SIZE:
            _statements.popitem(last=False)
    return statement


def combined_figures(
    session, ctx: Context, definitions: list[Definition], practice_ids, *, strata: bool
) -> list[Figure]:
    """Figures of many patient indicators from :func:`combined_statement` (one query)."""
    practice_ids = list(practice_ids)
    wanted = set(practice_ids)
    cells: list[dict] = [defaultdict(_Cell) for _ in definitions]
    for row in session.execute(cached_statement(session, ctx, definitions, strata=strata)):
        grouping, practice_id, sex, band, other = row[:5]
        if practice_id not in wanted:
            continue
        if grouping.startswith("split"):
            i = int(grouping[5:])
            level = str(int(float(other))) if other is not None else ""
            sums = row[5 + 4 * i : 9 + 4 * i]
            for key in (None, Stratum(definitions[i].split or "", level)):
                for place in (practice_id, None):
                    cells[i][(place, key)].add(*sums)
            continue
        if grouping == "people":
            keys = [None]
            if strata:
                keys += [Stratum("sex", sex), Stratum("age_band", band)]
        else:
            keys = [Stratum("programme", other)]
        for i, definition in enumerate(definitions):
            sums = row[5 + 4 * i : 9 + 4 * i]
            if not sums[0] or definition.split:
                continue  # nobody in this indicator's denominator here (or a split one)
            for key in keys:
                for place in (practice_id, None):
                    cells[i][(place, key)].add(*sums)
    figures = []
    for i, definition in enumerate(definitions):
        found = cells[i]
        for place in [None, *practice_ids]:
            found[(place, None)]  # every practice gets its total, zero if nobody counts
        for (place, stratum), cell in found.items():
            if definition.split and stratum is not None:
                total = found[(place, None)]
                figures.append(
                    Figure(
                        definition.info.id,
                        place,
                        stratum,
                        numerator=cell.den,
                        denominator=total.den,
                    )
                )
                continue
            with_value = definition.value is not None and not definition.split
            figures.append(
                Figure(
                    definition.info.id,
                    place,
                    stratum,
                    numerator=cell.num,
                    denominator=cell.den,
                    mean=mean_of(cell.value_sum, cell.value_count) if with_value else None,
                )
            )
    return figures


def group_figures(ctx: Context, definition: Definition) -> list[Figure]:
    numerator, denominator, statement = definition.group(ctx)  # type: ignore[misc]
    return [
        Figure(
            definition.info.id,
            None,
            None,
            numerator=numerator,
            denominator=denominator,
            statement=statement,
        )
    ]


def compute(
    session, ctx: Context, definitions: Iterable[Definition], practice_ids, *, strata: bool = True
) -> list[Figure]:
    """Statements: one per care-group indicator and one for all patient indicators together
    (split ones such as A2 included)."""
    definitions = list(definitions)
    figures: list[Figure] = []
    combined = [d for d in definitions if d.group is None]
    if combined and session.get_bind().dialect.name == "postgresql":
        # PostgreSQL's planner overestimates the rows of the per-patient CTE (it cannot see
        # how few patients a care group has) and would JIT-compile the statement: seconds of
        # LLVM work for a query that runs in tens of milliseconds. Off for this transaction.
        session.execute(sa.text("SET LOCAL jit = off"))
    if combined:
        figures += combined_figures(session, ctx, combined, practice_ids, strata=strata)
    for definition in definitions:
        if definition.group is not None:
            figures += group_figures(ctx, definition)
    return sorted(figures, key=figure_sort_key)


def figure_sort_key(figure: Figure):
    from zelfzorg.contracting.indicators import INDICATOR_IDS

    stratum = (figure.stratum.key, figure.stratum.value) if figure.stratum else ("", "")
    return (
        INDICATOR_IDS.index(figure.indicator) if figure.indicator in INDICATOR_IDS else 99,
        -1 if figure.practice_id is None else figure.practice_id,
        figure.stratum is not None,
        stratum,
    )
