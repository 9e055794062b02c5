"""CSV export: one row per indicator per unit per stratum, suppressed and formula-safe."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from tests.contracting.report_fixture import build_report
from zelfzorg.contracting.exports import export_report
from zelfzorg.contracting.report_data import PracticeInfo
from zelfzorg.contracting.suppression import suppress


def parse(content: bytes, delimiter: str = ",") -> list[dict]:
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_one_row_per_indicator_unit_and_stratum():
    data = build_report()
    result = export_report(data, "csv")
    assert result.mimetype.startswith("text/csv")
    assert result.filename == "zorggroep-7-20250101-20251231.csv"
    lines = parse(result.content)
    assert len(lines) == len(data.figures)
    first = lines[0]
    assert list(first) == [
        "indicator", "soort", "niveau", "praktijk", "stratum", "stratumwaarde", "teller",
        "noemer", "percentage", "gemiddelde", "uitspraak", "onderdrukt", "periode van",
        "periode tot en met", "definitieversie", "vingerafdruk",
    ]  # fmt: skip
    # Indicators in report order; the care group first, its overall cell before its strata.
    assert [line["indicator"] for line in lines][:1] == ["V1"]
    i1 = [line for line in lines if line["indicator"] == "I1"]
    assert i1[0]["niveau"] == "zorggroep" and i1[0]["praktijk"] == "Zorggroep Rivierenland"
    assert i1[0]["stratum"] == ""
    group = data.figure("I1")
    assert (i1[0]["teller"], i1[0]["noemer"]) == (str(group.numerator), str(group.denominator))
    assert i1[0]["percentage"] == str(group.percentage)  # a decimal point with ","
    assert {line["stratum"] for line in i1} == {"", "geslacht", "leeftijdsgroep", "zorgprogramma"}
    assert {"man", "vrouw"} <= {line["stratumwaarde"] for line in i1}
    assert all(line["periode van"] == "01-01-2025" for line in lines)  # Babel, Dutch
    assert all(line["definitieversie"] == "2015" for line in lines)
    assert all(line["vingerafdruk"] == data.fingerprint for line in lines)
    v1 = lines[0]
    assert v1["uitspraak"] == "ja" and v1["soort"] == "eis"


def test_small_and_complementary_cells_are_hidden():
    data = build_report()
    view = suppress(data)
    lines = parse(export_report(data, "csv").content)
    small = [line for line in lines if line["noemer"] == "<10"]
    assert small
    for line in small:
        assert line["teller"] == "<10" and line["percentage"] == "<10"
        assert line["onderdrukt"] == "minder dan 10"
    masked = [line for line in lines if line["noemer"] == "*"]
    assert len(masked) == sum(c.hidden == "complementary" for c in view.cells) > 0
    # The small practice 104 never shows a count but zero (an empty cell reveals nobody).
    name = next(p.name for p in data.practices if p.id == 104)
    shown = {line["noemer"] for line in lines if line["praktijk"] == name and line["noemer"]}
    assert shown <= {"<10", "*", "0"} and "<10" in shown


def test_semicolon_variant_for_dutch_excel_uses_a_decimal_comma():
    data = build_report()
    lines = parse(export_report(data, "csv", delimiter=";").content, ";")
    i1 = next(line for line in lines if line["indicator"] == "I1")
    assert i1["percentage"] == str(data.figure("I1").percentage).replace(".", ",")
    assert "," in i1["percentage"]


def test_english_headers_and_labels():
    lines = parse(export_report(build_report(), "csv", lang="en").content)
    assert "numerator" in lines[0] and "denominator" in lines[0]
    assert lines[0]["kind"] == "requirement"
    assert {"male", "female"} <= {line["stratum value"] for line in lines}
    assert lines[0]["period from"] == "01/01/2025"  # British English, day first


def test_formula_in_a_practice_name_is_neutralised():
    data = build_report()
    evil = "=cmd|' /C calc'!A0"
    practices = [PracticeInfo(data.practices[0].id, evil), *data.practices[1:]]
    data = replace(data, practices=practices, care_group_name="+SUM(A1:A9)")
    content = export_report(data, "csv").content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(content)))
    names = {line[3] for line in lines[1:]}
    assert "'" + evil in names and evil not in names
    assert "'+SUM(A1:A9)" in names
    assert not any(cell.startswith(("=", "+", "@")) for line in lines for cell in line)
