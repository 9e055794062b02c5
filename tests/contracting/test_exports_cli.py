"""``flask zelfzorg report``: a care group's report to a file, with progress, audited."""

from __future__ import annotations

import csv
import io
import json

from fhir.resources.R4B.bundle import Bundle
from sqlmodel import select

from tests.factories import make_care_group, make_patient, make_practice
from zelfzorg.audit.models import AuditAction, AuditEntry


def care_group(db, sizes=(12, 14)):
    group = make_care_group(db, "Zorggroep West")
    for index, size in enumerate(sizes):
        practice = make_practice(db, group, f"Praktijk {index + 1}")
        for _ in range(size):
            make_patient(db, practice)
    db.commit()
    return group


def invoke(runner, *args):
    return runner.invoke(args=["zelfzorg", "report", *args])


def test_csv_report_to_a_file_with_progress_and_an_audit_entry(db, runner, tmp_path):
    group = care_group(db)
    out = tmp_path / "rapport.csv"
    result = invoke(
        runner, "--caregroup", str(group.id), "--from", "2025-01-01", "--to", "2025-12-31",
        "--format", "csv", "--output", str(out), "--delimiter", ";",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[1/3]" in result.output and "[3/3]" in result.output
    lines = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig")), delimiter=";"))
    i1 = [line for line in lines if line["indicator"] == "I1" and not line["stratum"]]
    assert [line["praktijk"] for line in i1] == ["Zorggroep West", "Praktijk 1", "Praktijk 2"]
    assert [line["noemer"] for line in i1] == ["26", "12", "14"]
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.export)).all()
    assert len(entries) == 1
    assert entries[0].object_type == "ContractingReport" and entries[0].patient_id is None
    assert entries[0].object_id == str(group.id) and entries[0].detail.startswith("csv 2025-01-01")


def test_fhir_and_pdf_formats(db, runner, tmp_path):
    group = care_group(db)
    for fmt, name in (("fhir", "r.json"), ("pdf", "r.pdf"), ("html", "r.html")):
        out = tmp_path / name
        result = invoke(
            runner, "--caregroup", str(group.id), "--from", "2025-01-01", "--to",
            "2025-12-31", "--format", fmt, "--output", str(out), "--lang", "en",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0
    Bundle.model_validate(json.loads((tmp_path / "r.json").read_text()))  # the engine's figures
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert "Zorggroep West" in (tmp_path / "r.html").read_text()


def test_bad_input_gets_a_clear_message_and_writes_nothing(db, runner, tmp_path):
    group = care_group(db, sizes=(3,))
    out = tmp_path / "x.csv"
    base = ["--format", "csv", "--output", str(out)]
    cases = [
        (["--caregroup", "999999", "--from", "2025-01-01", "--to", "2025-12-31"], "999999"),
        (["--caregroup", str(group.id), "--from", "2025-13-01", "--to", "2025-12-31"], "date"),
        (["--caregroup", str(group.id), "--from", "2025-06-01", "--to", "2025-01-01"], "before"),
        (["--caregroup", str(group.id), "--from", "2010-01-01", "--to", "2025-01-01"], "drie jaar"),
    ]
    for args, message in cases:
        result = invoke(runner, *args, *base)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
        assert "Traceback" not in result.output
    missing_dir = invoke(
        runner, "--caregroup", str(group.id), "--from", "2025-01-01", "--to", "2025-12-31",
        "--format", "csv", "--output", str(tmp_path / "nope" / "x.csv"),
    )  # fmt: skip
    assert missing_dir.exit_code != 0 and "does not exist" in missing_dir.output
    assert not out.exists()
    assert not db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.export)).all()
