"""Small-cell and complementary suppression (DESIGN.md section 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.contracting.report_fixture import INDICATORS, build_report
from zelfzorg.contracting.report_data import Figure, PracticeInfo, ReportData, Stratum
from zelfzorg.contracting.suppression import Hidden, SuppressedReport, suppress

MALE, FEMALE = Stratum("sex", "male"), Stratum("sex", "female")


def report(figures: list[Figure], n_practices: int = 4) -> ReportData:
    return ReportData(
        care_group_id=1,
        care_group_name="Zorggroep",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        definition_version=2015,
        contract=None,
        practices=[PracticeInfo(i, f"P{i}") for i in range(1, n_practices + 1)],
        indicators=INDICATORS,
        figures=figures,
        verdicts=[],
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def row(indicator: str, cells: dict[int | None, tuple[int, int]], stratum=None) -> list[Figure]:
    return [Figure(indicator, pid, stratum, num, den) for pid, (num, den) in cells.items()]


def status(view: SuppressedReport, indicator="I1", stratum=None) -> dict:
    return {
        p.id: view.cell(indicator, p.id, stratum).hidden  # type: ignore[union-attr]
        for p in view.report.practices
    } | {None: view.cell(indicator, None, stratum).hidden}  # type: ignore[union-attr]


def test_single_small_cell_hides_the_next_smallest_too():
    # P2 (5) would follow from the total (95 - 40 - 30 - 20): P4, the next smallest, is hidden too.
    view = suppress(
        report(row("I1", {1: (30, 40), 2: (3, 5), 3: (20, 30), 4: (10, 20), None: (63, 95)}))
    )
    assert status(view) == {
        1: Hidden.shown,
        2: Hidden.small,
        3: Hidden.shown,
        4: Hidden.complementary,
        None: Hidden.shown,
    }
    small = view.cell("I1", 2)
    assert (small.numerator, small.denominator, small.percentage) == (None, None, None)
    assert view.cell("I1", 1).percentage is not None
    assert view.cell("I1", None).denominator == 95


def test_two_small_cells_need_no_complement():
    view = suppress(
        report(row("I1", {1: (30, 40), 2: (3, 5), 3: (2, 8), 4: (10, 20), None: (45, 73)}))
    )
    assert status(view) == {
        1: Hidden.shown,
        2: Hidden.small,
        3: Hidden.small,
        4: Hidden.shown,
        None: Hidden.shown,
    }


def test_small_cell_next_to_a_total_of_two_practices():
    # With two practices the total alone gives the small one away: both practices are hidden.
    view = suppress(report(row("I1", {1: (50, 80), 2: (4, 6), None: (54, 86)}), n_practices=2))
    assert status(view) == {1: Hidden.complementary, 2: Hidden.small, None: Hidden.shown}


def test_small_care_group_total_hides_the_only_practice_it_reveals():
    # The group has 6 patients, all in P1: the total is small, and P1 equals it.
    view = suppress(report(row("I1", {1: (2, 6), 2: (0, 0), None: (2, 6)}), n_practices=2))
    assert view.cell("I1", None).hidden == Hidden.small
    assert view.cell("I1", 1).hidden == Hidden.small
    # A zero denominator reveals nobody: shown as n/a.
    assert view.cell("I1", 2).hidden == Hidden.shown
    assert view.cell("I1", 2).percentage is None


def test_zero_cell_is_hidden_only_when_nothing_else_can_protect():
    view = suppress(report(row("I1", {1: (0, 0), 2: (3, 5), None: (3, 5)}), n_practices=2))
    # The total is small itself; the zero practice stays visible (two hidden terms already).
    assert view.cell("I1", 2).hidden == Hidden.small
    assert view.cell("I1", None).hidden == Hidden.small


def test_strata_rows_are_suppressed_across_practices_and_within_a_practice():
    figures = [
        *row("I1", {1: (30, 40), 2: (20, 30), 3: (25, 50), None: (75, 120)}),
        # Men of P2 are few: a small cell in the male row of practices ...
        *row("I1", {1: (15, 20), 2: (3, 4), 3: (10, 25), None: (28, 49)}, MALE),
        *row("I1", {1: (15, 20), 2: (17, 26), 3: (15, 25), None: (47, 71)}, FEMALE),
    ]
    view = suppress(report(figures, n_practices=3))
    assert view.cell("I1", 2, MALE).hidden == Hidden.small
    # ... which the women of P2 would give away from P2's total (30 - 26): hidden too,
    assert view.cell("I1", 2, FEMALE).hidden == Hidden.complementary
    # and in the male row the next-smallest practice (P1, 20) covers P2 against the total,
    assert view.cell("I1", 1, MALE).hidden == Hidden.complementary
    # which in turn needs a second hidden cell in P1's own sex split and the female row.
    assert view.cell("I1", 1, FEMALE).hidden != Hidden.shown
    # No sum anywhere is left with exactly one hidden term.
    assert_no_single_hidden_term(view)


def assert_no_single_hidden_term(view: SuppressedReport) -> None:
    cells = {(c.indicator, c.practice_id, c.stratum): c for c in view.cells}
    sums: dict[tuple, list] = {}
    for (ind, pid, stratum), cell in cells.items():
        if cell.figure.denominator is None:
            continue
        if pid is not None and (ind, None, stratum) in cells:
            sums.setdefault(("row", ind, stratum), [cells[(ind, None, stratum)]]).append(cell)
        if stratum is not None and (ind, pid, None) in cells:
            sums.setdefault(("split", ind, pid, stratum.key), [cells[(ind, pid, None)]]).append(
                cell
            )
    for key, members in sums.items():
        hidden = sum(c.suppressed for c in members)
        assert hidden != 1, f"{key}: one hidden cell follows from the others"


def test_derived_indicator_hides_with_its_parent():
    figures = [
        *row("I1", {1: (30, 40), 2: (6, 9), 3: (20, 30), None: (56, 79)}),
        # I1b's denominator is I1's numerator: P3's 20 would reveal I1's hidden P3 numerator.
        *row("I1b", {1: (25, 30), 2: (4, 6), 3: (15, 20), None: (44, 56)}),
    ]
    view = suppress(report(figures, n_practices=3))
    assert view.cell("I1", 2).hidden == Hidden.small
    assert view.cell("I1", 3).hidden == Hidden.complementary
    assert view.cell("I1b", 2).hidden == Hidden.small
    assert view.cell("I1b", 3).hidden == Hidden.complementary


def test_rows_over_the_same_population_hide_the_same_cells():
    figures = [
        *row("I1", {1: (30, 40), 2: (6, 9), 3: (20, 30), 4: (25, 30), None: (81, 109)}),
        *row("P1", {1: (10, 40), 2: (1, 9), 3: (29, 30), 4: (5, 30), None: (45, 109)}),
    ]
    view = suppress(report(figures))
    assert status(view, "I1") == status(view, "P1")


def test_statements_are_never_hidden():
    view = suppress(report([Figure("V1", None, None, statement=True)]))
    assert view.cell("V1").statement is True
    assert view.hidden_count == 0


def test_generated_report_of_thirty_practices():
    data = build_report()
    view = suppress(data)
    assert len(view.cells) == len(data.figures)
    small = [c for c in view.cells if c.hidden == Hidden.small]
    assert small and all(0 < c.figure.denominator < 10 for c in small)
    assert all(c.figure.denominator >= 10 for c in view.cells if c.hidden == "complementary")
    # Practices 104, 117 and 125 have fewer than 10 patients: hidden everywhere.
    for pid in (104, 117, 125):
        assert view.cell("I1", pid).suppressed
    for cell in view.cells:
        if cell.figure.denominator and cell.figure.denominator < 10:
            assert cell.suppressed
    assert_no_single_hidden_term(view)
    # The input is untouched (a pure function).
    assert all(isinstance(f, Figure) for f in data.figures)
    assert view.report is data
