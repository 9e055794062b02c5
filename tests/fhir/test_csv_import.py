"""CSV import of patients and enrolments: dry-run report, all or nothing by line, idempotent."""

from __future__ import annotations

from sqlmodel import func, select

from zelfzorg.patients.models import Enrolment, Patient

GOOD = """his_number,family_name,given_name,date_of_birth,sex,programme,start_date
H-1,de Vries,Mieke,1948-02-03,female,DM2,2023-01-01
H-1,de Vries,Mieke,1948-02-03,female,CVRM,2023-05-01
H-2,Bos,Henk,1960-11-30,male,COPD,2022-09-15
H-3,Smit,Ali,1971-04-04,male,,
"""


def _counts(db):
    db.expire_all()
    result = (
        db.exec(select(func.count()).select_from(Patient)).one(),
        db.exec(select(func.count()).select_from(Enrolment)).one(),
    )
    db.commit()
    return result


def _run(runner, practice_id, path, *extra):
    args = ["zelfzorg", "import-patients", "--practice", str(practice_id), *extra, str(path)]
    return runner.invoke(args=args)


def test_dry_run_reports_and_stores_nothing_then_import_is_idempotent(db, world, runner, tmp_path):
    practice_id = world.practice.id
    path = tmp_path / "patients.csv"
    path.write_text(GOOD, encoding="utf-8")
    before = _counts(db)
    dry = _run(runner, practice_id, path, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing stored" in dry.output
    assert "patients: 3 new, 0 already there; enrolments: 3 new" in dry.output
    assert _counts(db) == before
    stored = _run(runner, practice_id, path)
    assert stored.exit_code == 0, stored.output
    assert _counts(db) == (before[0] + 3, before[1] + 3)
    mieke = db.exec(select(Patient).where(Patient.his_number == "H-1")).one()
    assert mieke.practice_id == practice_id and mieke.date_of_birth.year == 1948
    db.commit()
    again = _run(runner, practice_id, path)
    assert "patients: 0 new, 3 already there; enrolments: 0 new, 3 already there" in again.output
    assert _counts(db) == (before[0] + 3, before[1] + 3)


def test_bad_lines_are_named_and_nothing_is_stored(db, world, runner, tmp_path):
    practice_id = world.practice.id
    path = tmp_path / "bad.csv"
    path.write_text(
        GOOD
        + "H-4,Kok,Els,1990-13-01,female,DM2,2024-01-01\n"
        + "H-5,Mol,Jan,1950-01-01,male,diabetes,2024-01-01\n",
        encoding="utf-8",
    )
    before = _counts(db)
    result = _run(runner, practice_id, path)
    assert result.exit_code == 1
    assert "line 6, date_of_birth: Geen geldige geboortedatum." in result.output
    assert "line 7, programme: Onbekend zorgprogramma: diabetes" in result.output
    assert "2 problems; nothing stored." in result.output
    assert _counts(db) == before
    missing = tmp_path / "missing.csv"
    missing.write_text("his_number,family_name\nH-9,X\n", encoding="utf-8")
    refused = _run(runner, practice_id, missing)
    assert refused.exit_code == 1 and "Missing columns: given_name" in refused.output
