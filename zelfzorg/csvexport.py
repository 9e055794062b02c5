"""The one CSV writer for every export (audit log, import error reports, contracting reports).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and a
leading tab or carriage return is stripped before that check, so such cells get a leading
apostrophe (OWASP "CSV injection"). Files are UTF-8 with a byte-order mark, so Excel shows
accents; Dutch Excel expects ``;`` as the delimiter (``delimiter=";"``).

    from zelfzorg.csvexport import csv_text, csv_response  # (Flask response in the views)
    text = csv_text(["id", "naam"], rows, delimiter=";")

Numbers (int/float) are written as they are: a negative number is data, not a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell as text that no spreadsheet will evaluate; numbers and None pass unchanged."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def write_rows(
    out: io.TextIOBase,
    header: Sequence[object] | None,
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
) -> None:
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        writer.writerow([neutralise(c) for c in header])
    for row in rows:
        writer.writerow([neutralise(c) for c in row])


def csv_text(
    header: Sequence[object] | None,
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    bom: bool = True,
) -> str:
    """The whole file as text (BOM first unless ``bom=False``)."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    write_rows(out, header, rows, delimiter=delimiter)
    return out.getvalue()


def csv_bytes(
    header: Sequence[object] | None,
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
) -> bytes:
    """UTF-8 with BOM, ready to send or write to a file."""
    return csv_text(header, rows, delimiter=delimiter).encode("utf-8")
