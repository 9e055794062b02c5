"""``flask zelfzorg instruments load|list|settings``."""

from __future__ import annotations

from sqlmodel import select

from tests.assessment.helpers import FIXTURES
from zelfzorg.assessment.models import AssessmentSetting, InstrumentVersion


def test_load_valid_file_then_again_is_a_no_op(runner, db):
    first = runner.invoke(args=["zelfzorg", "instruments", "load", str(FIXTURES / "mini_v1.yaml")])
    assert first.exit_code == 0, first.output
    assert "Loaded mini 1" in first.output
    again = runner.invoke(args=["zelfzorg", "instruments", "load", str(FIXTURES / "mini_v1.yaml")])
    assert again.exit_code == 0 and "nothing changed" in again.output
    rows = db.exec(select(InstrumentVersion).where(InstrumentVersion.code == "mini")).all()
    assert len(rows) == 1


def test_load_invalid_file_names_the_problem_and_stores_nothing(runner, db):
    result = runner.invoke(
        args=["zelfzorg", "instruments", "load", str(FIXTURES / "invalid_overlapping_levels.yaml")]
    )
    assert result.exit_code == 2
    assert "invalid_overlapping_levels.yaml" in result.output and "levels" in result.output
    missing = runner.invoke(args=["zelfzorg", "instruments", "load", "/nonexistent/x.yaml"])
    assert missing.exit_code == 2 and "x.yaml" in missing.output
    assert (
        db.exec(select(InstrumentVersion).where(InstrumentVersion.code == "mini")).first() is None
    )


def test_list_shows_every_version(runner):
    runner.invoke(args=["zelfzorg", "instruments", "load", str(FIXTURES / "mini_v1.yaml")])
    runner.invoke(args=["zelfzorg", "instruments", "load", str(FIXTURES / "mini_v2.yaml")])
    result = runner.invoke(args=["zelfzorg", "instruments", "list"])
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.startswith("mini")]
    assert len(lines) == 2 and "kept" in lines[0] and "current" in lines[1]
    assert "activation" in result.output


def test_settings_sets_interval_review_weeks_and_cutoffs(runner, db, world):
    result = runner.invoke(
        args=[
            "zelfzorg",
            "instruments",
            "settings",
            "--care-group",
            str(world.care_group.id),
            "--due-months",
            "6",
            "--review-weeks",
            "1=4",
            "--cutoff",
            "3=55.2:60.0",
            "--cutoff",
            "4=60.1:100",
        ]
    )
    assert result.exit_code == 0, result.output
    setting = db.exec(select(AssessmentSetting)).one()
    assert setting.due_interval_months == 6 and setting.review_interval_weeks == {"1": 4}
    assert "3: 55.2-60.0" in result.output
    db.commit()  # end the read transaction before the next command writes
    bad = runner.invoke(
        args=[
            "zelfzorg",
            "instruments",
            "settings",
            "--care-group",
            str(world.care_group.id),
            "--due-months",
            "0",
        ]
    )
    assert bad.exit_code == 2 and "60" in bad.output
