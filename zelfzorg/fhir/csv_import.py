"""CSV import of patients and enrolments, for care groups that can only export spreadsheets.

Columns: ``his_number, family_name, given_name, date_of_birth (YYYY-MM-DD), sex
(female/male/other/unknown), programme (DM2, COPD, astma, CVRM, hartfalen; empty for none),
start_date`` — one line per enrolment, a patient may repeat. The lines become a transaction
Bundle for :mod:`zelfzorg.fhir.importer`, so the rules are the same: all or nothing,
conditional on the HIS number, a second run changes nothing, every problem named (here by
line and column). No Flask."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from zelfzorg.fhir.importer import Issue
from zelfzorg.fhir.resources import HIS_SYSTEM, PROGRAMME_SYSTEM

COLUMNS = (
    "his_number",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "programme",
    "start_date",
)
PATH_COLUMNS = {
    "resource.identifier": "his_number",
    "resource.name[0]": "family_name/given_name",
    "resource.birthDate": "date_of_birth",
    "resource.gender": "sex",
    "resource.type[0]": "programme",
    "resource.period.start": "start_date",
    "resource.period.end": "start_date",
}


@dataclass(frozen=True)
class CsvProblem:
    line: int
    column: str
    message: str
    params: dict


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        rows = []
        for row in reader:
            rows.append(
                (reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items() if k})
            )
        return rows


def missing_columns(rows: list[tuple[int, dict[str, str]]]) -> list[str]:
    if not rows:
        return list(COLUMNS)
    return [c for c in COLUMNS if c not in rows[0][1] and c != "programme" and c != "start_date"]


def to_bundle(rows: list[tuple[int, dict[str, str]]]) -> tuple[dict, list[int]]:
    """The Bundle and, per entry index, the CSV line it came from."""
    entries: list[dict] = []
    lines: list[int] = []
    patient_urls: dict[str, str] = {}
    for line, row in rows:
        his = row.get("his_number", "")
        url = patient_urls.get(his)
        if url is None:
            url = f"urn:zelfzorg:csv:patient:{line}"
            patient_urls[his] = url
            entries.append(
                {
                    "fullUrl": url,
                    "resource": {
                        "resourceType": "Patient",
                        "identifier": [{"system": HIS_SYSTEM, "value": his}],
                        "name": [
                            {
                                "family": row.get("family_name", ""),
                                "given": [row.get("given_name", "")],
                            }
                        ],
                        "birthDate": row.get("date_of_birth", ""),
                        "gender": row.get("sex", "") or "unknown",
                    },
                }
            )
            lines.append(line)
        if row.get("programme"):
            entries.append(
                {
                    "resource": {
                        "resourceType": "EpisodeOfCare",
                        "status": "active",
                        "patient": {"reference": url},
                        "type": [
                            {"coding": [{"system": PROGRAMME_SYSTEM, "code": row["programme"]}]}
                        ],
                        "period": {"start": row.get("start_date", "")},
                    }
                }
            )
            lines.append(line)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}, lines


def csv_problems(issues: list[Issue], lines: list[int]) -> list[CsvProblem]:
    return [
        CsvProblem(
            line=lines[i.index] if i.index is not None and i.index < len(lines) else 0,
            column=PATH_COLUMNS.get(i.path, i.path),
            message=i.message,
            params=i.params,
        )
        for i in issues
    ]
