"""FHIR R4 MeasureReport bundle: valid R4B, one summary per practice and for the care group,
populations and strata, suppression applied."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measurereport import MeasureReport

from tests.contracting.report_fixture import build_report
from zelfzorg.contracting.exports import export_report
from zelfzorg.contracting.report_data import Stratum
from zelfzorg.contracting.suppression import suppress


@pytest.fixture(scope="module")
def data():
    return build_report()


@pytest.fixture(scope="module")
def bundle(data):
    result = export_report(data, "fhir")
    assert result.mimetype == "application/fhir+json"
    assert result.filename.endswith(".json")
    return json.loads(result.content)


def reports(bundle) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MeasureReport"
    ]


def by_reporter(bundle, name: str) -> dict:
    return next(r for r in reports(bundle) if r["reporter"]["display"] == name)


def population(item: dict, code: str) -> dict:
    return next(p for p in item["population"] if p["code"]["coding"][0]["code"] == code)


def test_bundle_validates_as_r4b(bundle):
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    for entry in parsed.entry:
        if entry.resource.get_resource_type() == "MeasureReport":
            MeasureReport.model_validate(entry.resource.model_dump())


def test_one_summary_per_practice_and_the_care_group(data, bundle):
    found = reports(bundle)
    assert len(found) == len(data.practices) + 1
    for report in found:
        assert report["status"] == "complete" and report["type"] == "summary"
        assert report["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
        assert report["measure"].endswith("|2015")
    organisations = {
        e["fullUrl"]: e["resource"] for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Organization"
    }  # fmt: skip
    group_report = by_reporter(bundle, data.care_group_name)
    group_org = organisations[group_report["reporter"]["reference"]]
    assert group_org["name"] == data.care_group_name
    practice_report = by_reporter(bundle, data.practices[0].name)
    practice_org = organisations[practice_report["reporter"]["reference"]]
    assert practice_org["partOf"]["reference"] == group_report["reporter"]["reference"]


def test_groups_carry_populations_score_and_strata(data, bundle):
    report = by_reporter(bundle, data.care_group_name)
    i1 = next(g for g in report["group"] if g["code"]["coding"][0]["code"] == "I1")
    figure = data.figure("I1")
    assert population(i1, "initial-population")["count"] == figure.denominator
    assert population(i1, "denominator")["count"] == figure.denominator
    assert population(i1, "numerator")["count"] == figure.numerator
    assert i1["measureScore"] == {
        "value": float(figure.percentage), "unit": "%", "system": "http://unitsofmeasure.org",
        "code": "%",
    }  # fmt: skip
    sex = next(s for s in i1["stratifier"] if s["code"][0]["text"] == "sex")
    male = next(s for s in sex["stratum"] if s["value"]["text"] == "male")
    male_fig = data.figure("I1", None, Stratum("sex", "male"))
    assert population(male, "numerator")["count"] == male_fig.numerator
    assert male["measureScore"]["value"] == float(male_fig.percentage)
    v1 = next(g for g in report["group"] if g["code"]["coding"][0]["code"] == "V1")
    assert v1["measureScore"]["value"] == 1 and "population" not in v1


def test_hidden_cells_have_no_counts(data, bundle):
    view = suppress(data)
    small = next(p for p in data.practices if p.id == 104)
    report = by_reporter(bundle, small.name)
    i1 = next(g for g in report["group"] if g["code"]["coding"][0]["code"] == "I1")
    assert "measureScore" not in i1
    for item in i1["population"]:
        assert "count" not in item
        assert item["extension"][0]["valueCode"] == "masked"
    # Every hidden cell of the report is absent from the bundle's numbers.
    text = json.dumps(bundle)
    assert text.count('"valueCode": "masked"') == 3 * view.hidden_count
