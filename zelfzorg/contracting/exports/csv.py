"""CSV export: one row per indicator per unit (care group, practice) per stratum.

Through the one formula-safe writer (zelfzorg.csvexport): UTF-8 with BOM; ``delimiter=";"``
for Dutch Excel, which also writes percentages with a decimal comma.
"""

from __future__ import annotations

from babel.dates import format_date

from zelfzorg.contracting.exports.common import (
    HIDDEN_LABELS,
    KIND_LABELS,
    count_text,
    percentage_text,
    rows,
    stratum_label,
    tr,
)
from zelfzorg.contracting.suppression import SuppressedReport
from zelfzorg.csvexport import csv_bytes
from zelfzorg.errors import N_
from zelfzorg.texts import format_locale

DELIMITERS = (",", ";")

HEADER = (
    N_("indicator"),
    N_("soort"),
    N_("niveau"),
    N_("praktijk"),
    N_("stratum"),
    N_("stratumwaarde"),
    N_("teller"),
    N_("noemer"),
    N_("percentage"),
    N_("gemiddelde"),
    N_("uitspraak"),
    N_("onderdrukt"),
    N_("periode van"),
    N_("periode tot en met"),
    N_("definitieversie"),
    N_("vingerafdruk"),
)


def report_csv(view: SuppressedReport, *, lang: str = "nl", delimiter: str = ",") -> bytes:
    if delimiter not in DELIMITERS:
        raise ValueError(f"delimiter must be one of {DELIMITERS}")
    comma = delimiter == ";"
    data = view.report
    lines = []
    # Dates as the language writes them in a spreadsheet (01-01-2025, 01/01/2025): Babel.
    period_start, period_end = (
        format_date(day, "short", locale=format_locale(lang))
        for day in (data.period_start, data.period_end)
    )
    for row in rows(view):
        cell = row.cell
        key, value = stratum_label(cell.stratum, lang)
        statement = cell.statement
        mean = cell.mean
        lines.append(
            [
                row.indicator.id,
                tr(KIND_LABELS[str(row.indicator.kind)], lang),
                tr(N_("zorggroep") if row.practice is None else N_("praktijk"), lang),
                data.care_group_name if row.practice is None else row.practice.name,
                key,
                value,
                count_text(cell, cell.numerator),
                count_text(cell, cell.denominator),
                percentage_text(cell, lang, comma=comma),
                ""
                if mean is None
                else (f"{mean:.2f}".replace(".", ",") if comma else f"{mean:.2f}"),
                "" if statement is None else tr(N_("ja") if statement else N_("nee"), lang),
                tr(HIDDEN_LABELS[cell.hidden], lang) if cell.suppressed else "",
                period_start,
                period_end,
                str(data.definition_version),
                data.fingerprint,
            ]
        )
    return csv_bytes([tr(h, lang) for h in HEADER], lines, delimiter=delimiter)
