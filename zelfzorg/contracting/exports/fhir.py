"""FHIR R4 MeasureReport export: a ``collection`` Bundle with the care group and its practices
as Organization and one summary MeasureReport per practice and for the care group.

Per indicator a ``group`` with populations initial-population / denominator / numerator,
``measureScore`` (percentage, UCUM ``%``) and a ``stratifier`` per stratum key whose strata
carry their own populations (REFERENCE.md, "Care-group reporting"). Hidden cells (small or
complementary) have no count and no score: their populations carry the data-absent-reason
``masked``. Yes/no indicators score 1 or 0; I4 scores its mean over the respondents.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from zelfzorg.contracting.report_data import IndicatorInfo
from zelfzorg.contracting.suppression import Cell, SuppressedReport

MEASURE = "https://zelfzorg.nl/fhir/Measure/zo-zelfmanagement"
INDICATOR_SYSTEM = "https://zelfzorg.nl/fhir/CodeSystem/zo-indicator"
STRATIFIER_SYSTEM = "https://zelfzorg.nl/fhir/CodeSystem/zo-stratifier"
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
DATA_ABSENT = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
UCUM = "http://unitsofmeasure.org"
ZELFZORG_ID = "https://zelfzorg.nl/fhir/NamingSystem/organisation"
_NAMESPACE = uuid.UUID("5d0a3c2e-9b7f-4c61-8a52-0f6c1e2b7a11")


def _urn(*parts: object) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in parts)))


def _instant(moment: datetime) -> str:
    # FHIR dateTimes with a time need a zone; the report's times are UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _populations(cell: Cell) -> list[dict]:
    def population(code: str, count: int | None) -> dict:
        item: dict = {"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}}
        if cell.suppressed:
            item["extension"] = [{"url": DATA_ABSENT, "valueCode": "masked"}]
        elif count is not None:
            item["count"] = count
        return item

    return [
        population("initial-population", cell.denominator),
        population("denominator", cell.denominator),
        population("numerator", cell.numerator),
    ]


def _score(cell: Cell) -> dict | None:
    if cell.suppressed:
        return None
    if cell.statement is not None:
        return {"value": 1 if cell.statement else 0, "unit": "{yes/no}"}
    if cell.mean is not None:
        return {"value": round(cell.mean, 2), "unit": "{score}"}
    if cell.percentage is None:
        return None  # n/a: a zero denominator has no score
    return {"value": float(cell.percentage), "unit": "%", "system": UCUM, "code": "%"}


def _with_score(item: dict, cell: Cell) -> dict:
    score = _score(cell)
    if score is not None:
        item["measureScore"] = score
    return item


def _group(info: IndicatorInfo, cell: Cell, strata: list[Cell]) -> dict:
    group: dict = {
        "code": {
            "coding": [{"system": INDICATOR_SYSTEM, "code": info.id, "display": info.title.nl}],
            "text": info.title.nl,
        }
    }
    if cell.statement is None:
        group["population"] = _populations(cell)
    _with_score(group, cell)
    by_key: dict[str, list[Cell]] = {}
    for stratum_cell in strata:
        by_key.setdefault(stratum_cell.stratum.key, []).append(stratum_cell)  # type: ignore[union-attr]
    if by_key:
        group["stratifier"] = [
            {
                "code": [{"coding": [{"system": STRATIFIER_SYSTEM, "code": key}], "text": key}],
                "stratum": [
                    _with_score(
                        {
                            "value": {"text": c.stratum.value},  # type: ignore[union-attr]
                            "population": _populations(c),
                        },
                        c,
                    )
                    for c in cells
                ],
            }
            for key, cells in by_key.items()
        ]
    return group


def report_bundle(view: SuppressedReport) -> dict:
    from zelfzorg.contracting.exports.common import rows

    data = view.report
    group_org = _urn("caregroup", data.care_group_id)
    organisations = [
        {
            "fullUrl": group_org,
            "resource": {
                "resourceType": "Organization",
                "identifier": [{"system": ZELFZORG_ID, "value": f"caregroup-{data.care_group_id}"}],
                "name": data.care_group_name,
            },
        }
    ]
    units: list[tuple[int | None, str, str]] = [(None, group_org, data.care_group_name)]
    for practice in data.practices:
        url = _urn("practice", practice.id)
        organisations.append(
            {
                "fullUrl": url,
                "resource": {
                    "resourceType": "Organization",
                    "identifier": [{"system": ZELFZORG_ID, "value": f"practice-{practice.id}"}],
                    "name": practice.name,
                    "partOf": {"reference": group_org, "display": data.care_group_name},
                },
            }
        )
        units.append((practice.id, url, practice.name))

    cells: dict[tuple[str, int | None], tuple[Cell | None, list[Cell]]] = {}
    for row in rows(view):
        key = (row.indicator.id, row.practice.id if row.practice else None)
        overall, strata = cells.get(key, (None, []))
        if row.cell.stratum is None:
            overall = row.cell
        else:
            strata.append(row.cell)
        cells[key] = (overall, strata)

    reports = []
    for practice_id, org_url, name in units:
        groups = []
        for info in data.indicators:
            overall, strata = cells.get((info.id, practice_id), (None, []))
            if overall is not None:
                groups.append(_group(info, overall, strata))
        reports.append(
            {
                "fullUrl": _urn("report", data.care_group_id, practice_id, data.fingerprint),
                "resource": {
                    "resourceType": "MeasureReport",
                    "status": "complete",
                    "type": "summary",
                    "measure": f"{MEASURE}|{data.definition_version}",
                    "date": _instant(data.generated_at),
                    "reporter": {"reference": org_url, "display": name},
                    "period": {
                        "start": data.period_start.isoformat(),
                        "end": data.period_end.isoformat(),
                    },
                    "group": groups,
                },
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": _instant(data.generated_at),
        "identifier": {"system": "https://zelfzorg.nl/fhir/report", "value": data.fingerprint}
        if data.fingerprint
        else None,
        "entry": organisations + reports,
    }


def report_bundle_json(view: SuppressedReport) -> str:
    bundle = report_bundle(view)
    if bundle["identifier"] is None:
        del bundle["identifier"]
    return json.dumps(bundle, ensure_ascii=False, indent=1)
