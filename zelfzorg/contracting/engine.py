"""Compute indicator figures: one SQL statement per patient indicator, grouped by practice
and stratum (programme, sex, age band), whatever the number of patients or practices.

The statement unions two groupings of the same cell query: by (practice, sex, age band) —
every patient once, from which the practice totals and the sex and age strata are summed —
and by (practice, programme), where a multimorbid patient counts once per programme. The
care-group figures are sums over the practices (a patient belongs to one practice on d).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlmodel import col, select

from zelfzorg.contracting.indicators import Context, Definition
from zelfzorg.contracting.indicators import years_before as _years_before
from zelfzorg.contracting.report_data import Figure, Stratum
from zelfzorg.patients.models import Enrolment, Patient
from zelfzorg.patients.population import enrolment_active_on, population_subquery

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


def _sums(cells):
    return (
        sa.func.sum(cells.c.den).label("den"),
        sa.func.sum(cells.c.num).label("num"),
        sa.func.sum(sa.case((cells.c.num == 1, cells.c.value))).label("value_sum"),
        sa.func.count(sa.case((cells.c.num == 1, cells.c.value))).label("value_count"),
    )


def grouped_statement(ctx: Context, definition: Definition, *, strata: bool) -> sa.Select:
    cells = cell_query(ctx, definition).cte("cells")
    null = sa.null()
    if definition.split:
        return (
            select(
                sa.literal("split").label("grouping"),
                cells.c.practice_id,
                null.label("sex"),
                null.label("band"),
                sa.cast(cells.c.value, sa.String).label("other"),
                *_sums(cells),
            )
            .where(cells.c.den == 1)
            .group_by(cells.c.practice_id, cells.c.value)
        )
    band = age_band_sql(col(Patient.date_of_birth), ctx.d)
    people = (
        select(
            sa.literal("people").label("grouping"),
            cells.c.practice_id,
            sa.cast(col(Patient.sex), sa.String).label("sex"),
            band.label("band"),
            null.label("other"),
            *_sums(cells),
        )
        .join(Patient, col(Patient.id) == cells.c.patient_id)
        .where(cells.c.den == 1)
        .group_by(cells.c.practice_id, col(Patient.sex), band)
    )
    if not strata:
        return people
    # Join the enrolment table itself (indexed by patient), not a materialised subquery;
    # DISTINCT keeps a patient once per programme even with duplicate enrolment rows.
    enrolled = (
        select(
            cells.c.patient_id,
            cells.c.practice_id,
            cells.c.den,
            cells.c.num,
            cells.c.value,
            sa.cast(col(Enrolment.programme), sa.String).label("programme"),
        )
        .join(Enrolment, col(Enrolment.patient_id) == cells.c.patient_id)
        .where(enrolment_active_on(ctx.d), cells.c.den == 1)
        .distinct()
        .subquery("enrolled")
    )
    by_programme = select(
        sa.literal("programme").label("grouping"),
        enrolled.c.practice_id,
        null.label("sex"),
        null.label("band"),
        enrolled.c.programme.label("other"),
        *_sums(enrolled),
    ).group_by(enrolled.c.practice_id, enrolled.c.programme)
    return sa.union_all(people, by_programme)


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


def patient_figures(
    session, ctx: Context, definition: Definition, practice_ids: Iterable[int], *, strata: bool
) -> list[Figure]:
    """Figures for the care group (practice None) and every practice, whole and per stratum."""
    cells: dict[tuple[int | None, Stratum | None], _Cell] = defaultdict(_Cell)
    practice_ids = list(practice_ids)
    wanted = set(practice_ids)
    for row in session.execute(grouped_statement(ctx, definition, strata=strata)):
        grouping, practice_id, sex, band, other = row[:5]
        if practice_id not in wanted:
            continue
        sums = row[5:]
        if grouping == "people":
            keys = [None]
            if strata:
                keys += [Stratum("sex", sex), Stratum("age_band", band)]
        elif grouping == "programme":
            keys = [Stratum("programme", other)]
        else:  # split (A2's levels): the total plus one stratum per level
            level = str(int(float(other))) if other is not None else ""
            keys = [None, Stratum(definition.split or "", level)]
        for key in keys:
            for place in (practice_id, None):
                cells[(place, key)].add(*sums)
    for place in [None, *practice_ids]:
        cells[(place, None)]  # every practice gets its total, zero if nobody counts
    figures = []
    with_value = definition.value is not None and not definition.split
    for (place, stratum), cell in cells.items():
        if definition.split and stratum is not None:
            total = cells[(place, None)]
            figures.append(
                Figure(
                    definition.info.id, place, stratum, numerator=cell.den, denominator=total.den
                )
            )
            continue
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


def combined_statement(ctx: Context, definitions: list[Definition], *, strata: bool) -> sa.Select:
    """ONE statement for many (non-split) patient indicators: the population is built once,
    every indicator's den/num flags are columns of one MATERIALIZED row per patient, and the
    groupings sum them all. Columns: grouping, practice_id, sex, band, other, then per
    indicator den, num, value_sum, value_count."""
    pop = population_subquery(ctx.d, care_group_id=ctx.care_group_id)
    pid = pop.c.patient_id
    columns = [pid.label("patient_id"), pop.c.practice_id.label("practice_id")]
    for i, definition in enumerate(definitions):
        den = definition.den(ctx, pid) if definition.den is not None else sa.true()
        num = definition.num(ctx, pid) if definition.num is not None else sa.false()
        value = sa.case((den, definition.value(ctx, pid))) if definition.value else sa.null()
        columns += [
            sa.case((den, 1), else_=0).label(f"d{i}"),
            sa.case((num, 1), else_=0).label(f"n{i}"),
            sa.cast(value, sa.Float).label(f"v{i}"),
        ]
    flags = select(*columns).cte("flags").prefix_with("MATERIALIZED")

    def sums(source):
        out = []
        for i in range(len(definitions)):
            d, n, v = source.c[f"d{i}"], source.c[f"n{i}"], source.c[f"v{i}"]
            counted = sa.and_(d == 1, n == 1)
            out += [
                sa.func.sum(d),
                sa.func.sum(d * n),
                sa.func.sum(sa.case((counted, v))),
                sa.func.count(sa.case((counted, v))),
            ]
        return out

    null = sa.null()
    band = age_band_sql(col(Patient.date_of_birth), ctx.d)
    people = (
        select(
            sa.literal("people").label("grouping"),
            flags.c.practice_id,
            sa.cast(col(Patient.sex), sa.String).label("sex"),
            band.label("band"),
            null.label("other"),
            *sums(flags),
        )
        .join(Patient, col(Patient.id) == flags.c.patient_id)
        .group_by(flags.c.practice_id, col(Patient.sex), band)
    )
    if not strata:
        return people
    enrolled = (
        select(flags, sa.cast(col(Enrolment.programme), sa.String).label("programme"))
        .join(Enrolment, col(Enrolment.patient_id) == flags.c.patient_id)
        .where(enrolment_active_on(ctx.d))
        .distinct()
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
    return sa.union_all(people, by_programme)


def combined_figures(
    session, ctx: Context, definitions: list[Definition], practice_ids, *, strata: bool
) -> list[Figure]:
    """Figures of many patient indicators from :func:`combined_statement` (one query)."""
    practice_ids = list(practice_ids)
    wanted = set(practice_ids)
    cells: list[dict] = [defaultdict(_Cell) for _ in definitions]
    for row in session.execute(combined_statement(ctx, definitions, strata=strata)):
        grouping, practice_id, sex, band, other = row[:5]
        if practice_id not in wanted:
            continue
        if grouping == "people":
            keys = [None]
            if strata:
                keys += [Stratum("sex", sex), Stratum("age_band", band)]
        else:
            keys = [Stratum("programme", other)]
        for i in range(len(definitions)):
            sums = row[5 + 4 * i : 9 + 4 * i]
            if not sums[0]:
                continue  # nobody in this indicator's denominator here
            for key in keys:
                for place in (practice_id, None):
                    cells[i][(place, key)].add(*sums)
    figures = []
    for i, definition in enumerate(definitions):
        found = cells[i]
        for place in [None, *practice_ids]:
            found[(place, None)]  # every practice gets its total, zero if nobody counts
        for (place, stratum), cell in found.items():
            figures.append(
                Figure(
                    definition.info.id,
                    place,
                    stratum,
                    numerator=cell.num,
                    denominator=cell.den,
                    mean=mean_of(cell.value_sum, cell.value_count) if definition.value else None,
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
    """Statements: one per care-group indicator, one per split indicator (A2) and one for
    all other patient indicators together."""
    definitions = list(definitions)
    figures: list[Figure] = []
    combined = [d for d in definitions if d.group is None and not d.split]
    if combined:
        figures += combined_figures(session, ctx, combined, practice_ids, strata=strata)
    for definition in definitions:
        if definition.group is not None:
            figures += group_figures(ctx, definition)
        elif definition.split:
            figures += patient_figures(session, ctx, definition, practice_ids, strata=strata)
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
