"""Small-cell and complementary suppression for exports that leave the care group.

DESIGN.md section 4 and REFERENCE.md ("Small cells"): a cell with a denominator of 1 to 9
is shown as "<10" with its numerator and percentage hidden; a cell that could be worked out
from a total and the other cells is hidden too (complementary suppression, as CMS does).

The report's cells are tied by sums: the practices of a care group add up to the care-group
cell (per indicator and stratum), and the values of a stratum key add up to the cell without
stratum (per indicator and practice). Each such sum is an equation; when exactly one of its
terms is hidden, that term follows from the others, so the smallest other term is hidden as
well. Two more ties carry a hidden count from one indicator to another: a derived
indicator's denominator is its parent's numerator (I1b of I1, L3 of L2, ...), and indicators
over the same population share their denominators (a row whose denominators are identical
gets the same hidden cells). Hiding repeats until nothing changes.

Zero denominators reveal nobody and stay visible ("n/a"); statements (yes/no) are never
hidden. A pure function: the report goes in, a view of it comes out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from zelfzorg.contracting.report_data import Figure, ReportData, Stratum

SMALL_CELL = 10  # denominators 1..SMALL_CELL-1 are hidden

#: Indicators whose denominator is another indicator's numerator (DESIGN.md section 4).
DERIVED_FROM = {
    "I1b": "I1",
    "L3": "L2",
    "A2": "A1",
    "O1b": "O1",
    "O2b": "O2",
    "O3b": "O3",
}

CellKey = tuple[str, int | None, Stratum | None]


class Hidden(StrEnum):
    shown = "shown"
    small = "small"  # denominator under 10: shown as "<10"
    complementary = "complementary"  # would reveal a small cell through a total


@dataclass(frozen=True)
class Cell:
    """A figure as an insurer export may show it: counts are None when hidden."""

    figure: Figure
    hidden: Hidden = Hidden.shown

    @property
    def indicator(self) -> str:
        return self.figure.indicator

    @property
    def practice_id(self) -> int | None:
        return self.figure.practice_id

    @property
    def stratum(self) -> Stratum | None:
        return self.figure.stratum

    @property
    def suppressed(self) -> bool:
        return self.hidden != Hidden.shown

    @property
    def numerator(self) -> int | None:
        return None if self.suppressed else self.figure.numerator

    @property
    def denominator(self) -> int | None:
        return None if self.suppressed else self.figure.denominator

    @property
    def percentage(self) -> Decimal | None:
        return None if self.suppressed else self.figure.percentage

    @property
    def mean(self) -> float | None:
        return None if self.suppressed else self.figure.mean

    @property
    def statement(self) -> bool | None:
        return self.figure.statement


@dataclass(frozen=True)
class SuppressedReport:
    """A report with every cell as an export may show it; ``report`` keeps the header data
    (care group, period, indicators, verdicts). Care-group verdicts are aggregates of the whole
    group and stay as they are."""

    report: ReportData
    cells: tuple[Cell, ...]

    def cell(
        self, indicator: str, practice_id: int | None = None, stratum: Stratum | None = None
    ) -> Cell | None:
        return self._index().get((indicator, practice_id, stratum))

    def _index(self) -> dict[CellKey, Cell]:
        index = self.__dict__.get("_cell_index")
        if index is None:
            index = {_key(c.figure): c for c in self.cells}
            object.__setattr__(self, "_cell_index", index)
        return index

    @property
    def hidden_count(self) -> int:
        return sum(c.suppressed for c in self.cells)


def _key(figure: Figure) -> CellKey:
    return (figure.indicator, figure.practice_id, figure.stratum)


def _countable(figure: Figure) -> bool:
    return figure.statement is None and figure.denominator is not None


def is_small(figure: Figure) -> bool:
    return _countable(figure) and 0 < figure.denominator < SMALL_CELL  # type: ignore[operator]


def _equations(figures: dict[CellKey, Figure]) -> list[tuple[CellKey, list[CellKey]]]:
    """(total, terms) for every sum in the report that has a total and at least one term."""
    by_row: dict[tuple[str, Stratum | None], list[CellKey]] = defaultdict(list)
    by_split: dict[tuple[str, int | None, str], list[CellKey]] = defaultdict(list)
    for key in figures:
        indicator, practice_id, stratum = key
        if practice_id is not None:
            by_row[(indicator, stratum)].append(key)
        if stratum is not None:
            by_split[(indicator, practice_id, stratum.key)].append(key)
    equations = []
    for (indicator, stratum), terms in by_row.items():
        total = (indicator, None, stratum)
        if total in figures:
            equations.append((total, terms))
    for (indicator, practice_id, _split), terms in by_split.items():
        total = (indicator, practice_id, None)
        if total in figures:
            equations.append((total, terms))
    return equations


def _ties(figures: dict[CellKey, Figure]) -> list[list[CellKey]]:
    """Groups of cells that must be hidden together (one shown would reveal the other)."""
    ties: list[list[CellKey]] = []
    for child, parent in DERIVED_FROM.items():
        for key in figures:
            if key[0] == child and (parent, key[1], key[2]) in figures:
                ties.append([key, (parent, key[1], key[2])])
    # Rows with identical denominators count the same patients: hide the same cells in each.
    rows: dict[tuple[str, Stratum | None], dict[int | None, int | None]] = defaultdict(dict)
    for key, figure in figures.items():
        if _countable(figure):
            rows[(key[0], key[2])][key[1]] = figure.denominator
    same: dict[tuple, list[tuple[str, Stratum | None]]] = defaultdict(list)
    for (indicator, stratum), denominators in rows.items():
        if len(denominators) > 1:
            signature = (stratum, tuple(sorted(denominators.items(), key=_practice_order)))
            same[signature].append((indicator, stratum))
    for members in same.values():
        if len(members) > 1:
            for practice_id in rows[members[0]]:
                ties.append([(ind, practice_id, stratum) for ind, stratum in members])
    return ties


def _practice_order(item: tuple[int | None, object]) -> tuple[int, int]:
    return (0, 0) if item[0] is None else (1, item[0])


def suppress(report: ReportData) -> SuppressedReport:
    figures = {_key(f): f for f in report.figures}
    hidden: dict[CellKey, Hidden] = {
        key: Hidden.small for key, figure in figures.items() if is_small(figure)
    }
    equations = _equations(figures)
    ties = _ties(figures)

    def hide(keys: Iterable[CellKey]) -> bool:
        changed = False
        for key in keys:
            if key not in hidden and _countable(figures[key]):
                hidden[key] = Hidden.complementary
                changed = True
        return changed

    changed = True
    while changed:
        changed = False
        for group in ties:
            if any(k in hidden for k in group):
                changed |= hide(group)
        for total, terms in equations:
            countable = [k for k in [total, *terms] if _countable(figures[k])]
            if sum(k in hidden for k in countable) != 1:
                continue
            changed |= hide(_next_smallest(figures, [k for k in terms if k not in hidden], total))
    cells = tuple(Cell(f, hidden.get(_key(f), Hidden.shown)) for f in report.figures)
    return SuppressedReport(report=report, cells=cells)


def _next_smallest(
    figures: dict[CellKey, Figure], visible_terms: list[CellKey], total: CellKey
) -> list[CellKey]:
    """The term to hide next: the smallest non-empty one, else an empty one, else the total."""
    candidates = [k for k in visible_terms if _countable(figures[k])]
    if not candidates:
        return [total]

    def order(key: CellKey) -> tuple:
        denominator = figures[key].denominator or 0
        practice = key[1] if key[1] is not None else -1
        value = key[2].value if key[2] is not None else ""
        return (denominator == 0, denominator, practice, value)

    return [min(candidates, key=order)]
