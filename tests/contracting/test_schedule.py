"""Scheduled exports: periods, the job (once, idempotent), schedule pages and downloads."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from tests.factories import make_care_group, make_patient, make_practice, make_user
from zelfzorg.accounts.models import Role
from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.contracting import schedule
from zelfzorg.contracting.schedule import ScheduleInput, periods_due
from zelfzorg.contracting.schedule_models import ExportFile, ExportSchedule, Frequency
from zelfzorg.errors import Forbidden, ValidationError
from zelfzorg.notifications.jobs import run_job


def make_schedule(db, world, *, frequency="monthly", formats=("csv",), today=date(2025, 1, 10)):
    made = schedule.create_schedule(
        db,
        world.actor(world.caregroup_user),
        ScheduleInput(frequency=frequency, formats=list(formats)),
        today=today,
    )
    db.commit()
    return made


def make_file(db, world) -> ExportFile:
    made = make_schedule(db, world)
    schedule.run_scheduled_exports(db, date(2025, 2, 1))
    db.commit()
    stored = db.exec(select(ExportFile).where(ExportFile.schedule_id == made.id)).one()
    db.commit()
    return stored


def count(db, model, *where) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)
    n = db.exec(query).one()
    db.commit()  # SQLite: a test session must not hold the write lock the app needs
    return n


def test_periods_due_after_each_month_and_quarter():
    monthly, quarterly = Frequency.monthly, Frequency.quarterly
    assert periods_due(monthly, date(2025, 1, 10), date(2025, 1, 31)) == []
    assert periods_due(monthly, date(2025, 1, 10), date(2025, 2, 1)) == [
        (date(2025, 1, 1), date(2025, 1, 31))
    ]
    # Missed runs catch up, oldest first; nothing before the schedule started.
    assert periods_due(monthly, date(2025, 1, 10), date(2025, 4, 15)) == [
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 31)),
    ]
    assert periods_due(quarterly, date(2025, 2, 1), date(2025, 3, 31)) == []
    assert periods_due(quarterly, date(2025, 2, 1), date(2025, 4, 1)) == [
        (date(2025, 1, 1), date(2025, 3, 31))
    ]
    assert periods_due(quarterly, date(2024, 11, 5), date(2025, 1, 1)) == [
        (date(2024, 10, 1), date(2024, 12, 31))
    ]
    assert len(periods_due(monthly, date(2020, 1, 1), date(2025, 6, 1))) == schedule.MAX_CATCH_UP


def test_only_caregroup_users_schedule_and_input_is_checked(db, world):
    with pytest.raises(Forbidden):
        schedule.create_schedule(
            db, world.actor(world.poh), ScheduleInput("monthly", ["csv"]), today=date(2025, 1, 1)
        )
    actor = world.actor(world.caregroup_user)
    for bad in (
        ScheduleInput("weekly", ["csv"]),
        ScheduleInput("monthly", []),
        ScheduleInput("monthly", ["exe"]),
        ScheduleInput("monthly", ["csv"], lang="de"),
    ):
        with pytest.raises(ValidationError):
            schedule.create_schedule(db, actor, bad, today=date(2025, 1, 1))
    assert count(db, ExportSchedule) == 0


def test_job_makes_each_file_once(db, world, engine):
    for _ in range(11):
        make_patient(db, world.practice)
    db.commit()
    made = make_schedule(db, world, frequency="quarterly", formats=("pdf", "csv", "fhir"))
    result = schedule.run_scheduled_exports(db, date(2025, 4, 2))
    db.commit()
    assert result == "3 export files"
    files = db.exec(select(ExportFile).where(ExportFile.schedule_id == made.id)).all()
    assert {(f.format, f.period_start, f.period_end) for f in files} == {
        (fmt, date(2025, 1, 1), date(2025, 3, 31)) for fmt in ("pdf", "csv", "fhir")
    }
    pdf = next(f for f in files if f.format == "pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.size == len(pdf.content)
    csv_file = next(f for f in files if f.format == "csv")
    assert world.care_group.name in csv_file.content.decode("utf-8-sig")
    # A rerun (same or a later day within the next quarter) makes nothing new.
    assert schedule.run_scheduled_exports(db, date(2025, 4, 2)) == "0 export files"
    assert schedule.run_scheduled_exports(db, date(2025, 6, 30)) == "0 export files"
    db.commit()
    assert count(db, ExportFile) == 3
    exports = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.export)).all()
    assert len(exports) == 3 and all(e.patient_id is None for e in exports)


def test_scheduler_claims_the_day_once(db, world, engine):
    make_schedule(db, world)
    now = datetime(2025, 2, 1, 6, 0, tzinfo=UTC)
    assert run_job(engine, schedule.JOB_NAME, now=now) == "1 export files"
    assert run_job(engine, schedule.JOB_NAME, now=now) is None  # claimed: another process ran
    db.expire_all()
    assert count(db, ExportFile) == 1


def test_stopped_schedule_makes_nothing_but_keeps_its_files(db, world):
    stored = make_file(db, world)
    schedule.delete_schedule(db, world.actor(world.caregroup_user), stored.schedule_id)
    db.commit()
    assert schedule.run_scheduled_exports(db, date(2025, 6, 1)) == "0 export files"
    assert db.get(ExportFile, stored.id) is not None


def test_schedule_page_create_list_stop_and_download(db, world, login):
    client = login(world.caregroup_user)
    page = client.get("/zorggroep/exports")
    assert page.status_code == 200 and "Nog geen geplande exports." in page.text
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    created = client.post(
        "/zorggroep/exports",
        data={"csrf_token": token, "frequency": "monthly", "formats": ["pdf", "csv"],
              "lang": "nl", "delimiter": ";"},
    )  # fmt: skip
    assert created.status_code == 302
    made = db.exec(select(ExportSchedule)).one()
    db.commit()
    assert made.formats == "pdf,csv" and made.care_group_id == world.care_group.id
    refused = client.post(
        "/zorggroep/exports",
        data={"csrf_token": token, "frequency": "monthly", "lang": "nl", "delimiter": ";"},
    )
    assert refused.status_code == 400 and "Kies een of meer bestandsvormen." in refused.text
    assert count(db, ExportSchedule) == 1
    stored = make_file(db, world)
    listing = client.get("/zorggroep/exports")
    assert stored.filename in listing.text
    download = client.get(f"/zorggroep/exports/bestand/{stored.id}")
    assert download.status_code == 200 and download.data == stored.content
    assert 'attachment; filename="zorggroep-' in download.headers["Content-Disposition"]
    entry = db.exec(
        select(AuditEntry).where(AuditEntry.object_type == "ExportFile").order_by(AuditEntry.id)
    ).all()[-1]
    db.commit()
    assert entry.action == AuditAction.export and entry.object_id == str(stored.id)
    stop = client.post(f"/zorggroep/exports/{made.id}/stoppen", data={"csrf_token": token})
    assert stop.status_code == 302
    db.expire_all()
    assert db.get(ExportSchedule, made.id).active is False


def test_another_care_groups_files_and_schedules_are_not_found(db, world, login):
    stored = make_file(db, world)
    other_group = make_care_group(db, "Andere zorggroep")
    make_practice(db, other_group)
    outsider = make_user(db, Role.caregroup, care_group=other_group)
    db.commit()
    client = login(outsider)
    assert client.get(f"/zorggroep/exports/bestand/{stored.id}").status_code == 404
    page = client.get("/zorggroep/exports")
    assert stored.filename not in page.text
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "ExportFile", AuditEntry.outcome == AuditOutcome.denied
        )
    ).all()
    assert len(denied) == 1


def test_export_download_links_for_the_report_pages(db, world, login):
    for _ in range(12):
        make_patient(db, world.practice)
    db.commit()
    client = login(world.caregroup_user)
    base = f"/zorggroep/rapport/{world.care_group.id}/export"
    response = client.get(f"{base}.csv?van=2025-01-01&tot=2025-12-31&scheiding=%3B")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode("utf-8-sig")
    assert "De Linde" in text and text.splitlines()[0].startswith("indicator;")
    fhir = client.get(f"{base}.fhir?van=2025-01-01&tot=2025-12-31")
    assert fhir.status_code == 200 and fhir.json["resourceType"] == "Bundle"
    for query in (
        "van=2025-13-01&tot=2025-12-31",
        "tot=2025-12-31",
        "van=2025-06-01&tot=2025-01-01",
    ):
        refused = client.get(f"{base}.pdf?{query}")
        assert refused.status_code == 400, query
        assert 'role="alert"' in refused.text
    other = make_care_group(db, "Elders")
    db.commit()
    assert (
        client.get(
            f"/zorggroep/rapport/{other.id}/export.csv?van=2025-01-01&tot=2025-12-31"
        ).status_code
        == 403
    )
    exports = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.export, AuditEntry.object_type == "ContractingReport"
        )
    ).all()
    assert len(exports) == 2 and all(e.user_id == world.caregroup_user.id for e in exports)


def test_a_second_process_storing_the_same_file_is_refused_by_the_database(db, world, engine):
    stored = make_file(db, world)
    with Session(engine) as other, pytest.raises(IntegrityError):
        other.add(
            ExportFile(
                schedule_id=stored.schedule_id,
                care_group_id=stored.care_group_id,
                period_start=stored.period_start,
                period_end=stored.period_end,
                format=stored.format,
                filename=stored.filename,
                mimetype=stored.mimetype,
                size=1,
                content=b"x",
            )
        )
        other.commit()


def test_job_computes_each_care_group_period_once(db, world, monkeypatch):
    from zelfzorg.contracting import services

    make_patient(db, world.practice)
    db.commit()
    make_schedule(db, world, formats=("csv",))
    schedule.create_schedule(
        db,
        world.actor(world.caregroup_user),
        ScheduleInput(frequency="monthly", formats=["fhir", "csv"], lang="en", delimiter=","),
        today=date(2025, 1, 10),
    )
    db.commit()
    computed = []
    original = services.compute_report

    def counted(session, **kwargs):
        computed.append((kwargs["start"], kwargs["end"]))
        return original(session, **kwargs)

    monkeypatch.setattr(services, "compute_report", counted)
    assert schedule.run_scheduled_exports(db, date(2025, 3, 1)) == "6 export files"
    db.commit()
    assert computed == [
        (date(2025, 1, 1), date(2025, 1, 31)),
        (date(2025, 2, 1), date(2025, 2, 28)),
    ]
    files = db.exec(select(ExportFile)).all()
    db.commit()
    by_period: dict = {}
    for stored in files:
        by_period.setdefault(stored.period_start, set()).add(stored.fingerprint)
    assert len(by_period) == 2 and all(len(prints) == 1 for prints in by_period.values())
