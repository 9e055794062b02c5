"""The one CSV writer: formulas neutralised, UTF-8 with BOM, ';' on request; the import's
error report uses it."""

from __future__ import annotations

import csv
import io

import pytest

from tests.telemonitoring.test_import import write_csv
from zelfzorg.csvexport import BOM, csv_bytes, csv_text, neutralise


@pytest.mark.parametrize(
    "cell", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1", '=HYPERLINK("x")']
)
def test_cells_that_a_spreadsheet_would_run_get_an_apostrophe(cell):
    assert neutralise(cell) == "'" + cell
    rows = list(csv.reader(io.StringIO(csv_text(["h"], [[cell]])[1:])))
    assert rows[1] == ["'" + cell]


@pytest.mark.parametrize("cell", ["Jansen", "José", "1,5", "a=b", "", " =1"])
def test_ordinary_text_is_unchanged(cell):
    assert neutralise(cell) == cell


def test_numbers_stay_numbers():
    assert neutralise(-5) == -5 and neutralise(-1.5) == -1.5 and neutralise(None) is None
    assert csv_text(None, [[-5, None, 2.5]], bom=False) == "-5,,2.5\r\n"


def test_utf8_with_bom_and_a_semicolon_option():
    data = csv_bytes(["naam", "plaats"], [["Zoë", "Den Bosch; Oost"]], delimiter=";")
    assert data.startswith(BOM.encode("utf-8"))
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["naam;plaats", 'Zoë;"Den Bosch; Oost"']


def test_import_error_report_is_written_through_the_shared_writer(app, db, world, runner, tmp_path):
    path = write_csv(
        tmp_path,
        world,
        [f'{world.patient.id},,,=HYPERLINK("x"),,80,kg,2026-01-05T09:00:00Z,w-1'],
    )
    report = tmp_path / "fouten.csv"
    result = runner.invoke(
        args=["zelfzorg", "import-measurements", str(path), "--errors-csv", str(report)]
    )
    assert result.exit_code == 1
    raw = report.read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["regel", "reden"]
    assert rows[1][0] == "2" and "HYPERLINK" in rows[1][1]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
