"""The audit log: who did what to which patient, append-only and hash-chained."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.audit.services import (
    GENESIS,
    AuditSubject,
    compute_hash,
    record,
    verify,
    verify_chain,
)
from zelfzorg.patients.services import open_patient

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBJECT = AuditSubject(7, "Sanne", "professional", "practice:1", "10.0.0.1")


def entries(db) -> list[AuditEntry]:
    rows = list(db.exec(select(AuditEntry).order_by(AuditEntry.id)).all())
    db.commit()
    return rows


def write_entries(engine, n: int) -> None:
    with Session(engine) as session:
        for i in range(n):
            record(
                session,
                SUBJECT,
                action=AuditAction.read,
                object_type="Patient",
                object_id=i,
                patient_id=i,
            )
        session.commit()


def tamper(engine, sql: str, **params) -> None:
    """Change the log behind the application's back, lifting the append-only guard."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_change"))
            conn.execute(text(sql), params)
            conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_change"))
            return
        guards = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND tbl_name = 'audit_entry'"
            )
        ).all()
        assert {name for name, _ in guards} == {"audit_entry_no_update", "audit_entry_no_delete"}
        for name, _sql in guards:
            conn.execute(text(f"DROP TRIGGER {name}"))
        conn.execute(text(sql), params)
        for _name, create in guards:
            conn.execute(text(create))


# --- what gets recorded ----------------------------------------------------------------------


def test_opening_a_patient_records_who_what_where_and_outcome(db, world, login):
    client = login(world.poh)
    response = client.get(
        f"/patienten/{world.patient.id}", environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert response.status_code == 200
    reads = [e for e in entries(db) if e.action == AuditAction.read and e.object_type == "Patient"]
    assert len(reads) == 1
    entry = reads[0]
    assert entry.user_id == world.poh.id
    assert entry.user_name == "Sanne POH"
    assert entry.role == "professional"
    assert entry.organisation == f"practice:{world.practice.id}"
    assert entry.patient_id == world.patient.id
    assert entry.object_id == str(world.patient.id)
    assert entry.outcome == AuditOutcome.allowed
    assert entry.client_address == "203.0.113.9"
    assert entry.at.tzinfo is not None
    assert abs((datetime.now(UTC) - entry.at).total_seconds()) < 60


def test_changes_are_recorded(db, world, login):
    client = login(world.poh)
    token = CSRF.search(client.get("/patienten/nieuw").get_data(as_text=True)).group(1)
    created = client.post(
        "/patienten/nieuw",
        data={
            "given_name": "Anna",
            "family_name": "de Vries",
            "date_of_birth": "1950-05-01",
            "sex": "female",
            "csrf_token": token,
        },
    )
    assert created.status_code == 302
    patient_id = int(created.headers["Location"].rsplit("/", 1)[1])
    enrolled = client.post(
        f"/patienten/{patient_id}/inschrijvingen",
        data={"programme": "DM2", "start_date": "2024-01-01", "csrf_token": token},
    )
    assert enrolled.status_code == 302
    changes = [
        (e.action, e.object_type, e.patient_id, e.outcome)
        for e in entries(db)
        if e.action != AuditAction.read
    ]
    assert changes == [
        (AuditAction.create, "Patient", patient_id, AuditOutcome.allowed),
        (AuditAction.create, "Enrolment", patient_id, AuditOutcome.allowed),
    ]


def test_denied_attempts_are_recorded_as_denied(db, world, login):
    client = login(world.other_poh)
    assert client.get(f"/patienten/{world.patient.id}").status_code == 404
    token = CSRF.search(client.get("/patienten").get_data(as_text=True)).group(1)
    refused = client.post(
        f"/patienten/{world.patient.id}/inschrijvingen",
        data={"programme": "COPD", "start_date": "2024-01-01", "csrf_token": token},
    )
    assert refused.status_code == 404
    denied = [
        (e.user_id, e.action, e.object_type, e.patient_id, e.organisation)
        for e in entries(db)
        if e.outcome == AuditOutcome.denied
    ]
    org = f"practice:{world.other_practice.id}"
    assert (world.other_poh.id, AuditAction.read, "Patient", world.patient.id, org) in denied
    assert (world.other_poh.id, AuditAction.create, "Enrolment", world.patient.id, org) in denied


def test_denied_service_call_is_recorded_even_though_it_raises(db, world):
    from zelfzorg.errors import NotFound

    with pytest.raises(NotFound):
        open_patient(db, world.actor(world.caregroup_user), world.patient.id)
    entry = db.exec(select(AuditEntry)).one()
    assert (entry.outcome, entry.role, entry.organisation) == (
        AuditOutcome.denied,
        "caregroup",
        f"caregroup:{world.care_group.id}",
    )


# --- the chain -------------------------------------------------------------------------------


def test_entries_form_a_hash_chain_that_verifies(db, engine, world):
    write_entries(engine, 5)
    rows = entries(db)
    assert [e.id for e in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash
    assert all(compute_hash(e) == e.hash for e in rows)
    assert verify(db) == verify_chain(rows)
    assert verify(db).ok and verify(db).checked == 5
    db.commit()


def test_verify_reads_the_log_in_batches(db, engine, world):
    write_entries(engine, 7)
    result = verify(db, batch=2)
    db.commit()
    assert (result.ok, result.checked) == (True, 7)


def test_entry_with_a_local_time_still_verifies(db, engine, world):
    amsterdam = datetime(2026, 7, 1, 14, 30, 0, 123456, tzinfo=AMSTERDAM)
    with Session(engine) as session:
        record(session, SUBJECT, action=AuditAction.read, object_type="Patient", at=amsterdam)
        session.commit()
    result = verify(db)
    entry = db.exec(select(AuditEntry)).one()
    db.commit()
    assert result.ok, result
    assert entry.at == amsterdam


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("at", datetime(2020, 1, 1, tzinfo=UTC)),
        ("user_id", 99),
        ("user_name", "Iemand"),
        ("role", "admin"),
        ("organisation", "platform"),
        ("patient_id", 99),
        ("action", AuditAction.update),
        ("object_type", "Goal"),
        ("object_id", "99"),
        ("outcome", AuditOutcome.denied),
        ("client_address", "198.51.100.1"),
        ("detail", "changed"),
    ],
)
def test_every_field_is_covered_by_the_hash(db, engine, world, field, value):
    write_entries(engine, 3)
    rows = entries(db)
    db.expunge_all()
    setattr(rows[1], field, value)
    result = verify_chain(rows)
    assert (result.ok, result.first_broken_id, result.checked) == (False, 2, 1)


def test_audit_verify_command_reports_an_intact_chain(engine, runner, world):
    write_entries(engine, 3)
    result = runner.invoke(args=["zelfzorg", "audit-verify"])
    assert result.exit_code == 0, result.output
    assert "Audit chain OK: 3 entries verified." in result.output


def test_audit_verify_names_the_first_tampered_entry(engine, runner, world):
    write_entries(engine, 5)
    tamper(engine, "UPDATE audit_entry SET user_name = 'Iemand anders' WHERE id = 3")
    result = runner.invoke(args=["zelfzorg", "audit-verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 3" in result.output
    assert "content does not match its hash" in result.output
    assert "(2 entries before it are intact)" in result.output


def test_audit_verify_detects_a_rehashed_entry_at_its_successor(db, engine, runner, world):
    """An attacker who recomputes the changed row's own hash still breaks the next link."""
    write_entries(engine, 4)
    row = db.get(AuditEntry, 2)
    db.commit()
    row.patient_id = 999
    new_hash = compute_hash(row)
    tamper(
        engine,
        "UPDATE audit_entry SET patient_id = 999, hash = :h WHERE id = 2",
        h=new_hash,
    )
    result = runner.invoke(args=["zelfzorg", "audit-verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 3: previous hash does not match" in result.output


def test_audit_verify_detects_a_deleted_entry(engine, runner, world):
    write_entries(engine, 4)
    tamper(engine, "DELETE FROM audit_entry WHERE id = 2")
    result = runner.invoke(args=["zelfzorg", "audit-verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 2: entry missing" in result.output


def test_database_refuses_update_and_delete_on_the_audit_log(engine, world):
    write_entries(engine, 2)
    for statement in (
        "UPDATE audit_entry SET detail = 'changed' WHERE id = 1",
        "DELETE FROM audit_entry WHERE id = 2",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, detail FROM audit_entry ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, ""), (2, "")]


def test_orm_changes_to_an_entry_are_refused_too(db, engine, world):
    write_entries(engine, 1)
    entry = db.get(AuditEntry, 1)
    entry.detail = "changed"
    with pytest.raises(DBAPIError, match="append-only"):
        db.commit()
    db.rollback()


# --- the patient's view ----------------------------------------------------------------------


def test_patient_sees_who_accessed_their_record(db, world, login):
    assert login(world.poh).get(f"/patienten/{world.patient.id}").status_code == 200
    assert login(world.other_poh).get(f"/patienten/{world.patient.id}").status_code == 404
    page = login(world.patient_user).get("/mijn/toegang")
    assert page.status_code == 200
    visits = re.findall(r'<li class="card">.*?</ul>\s*</li>', page.text, re.S)
    sanne = [v for v in visits if "Sanne POH" in v]
    assert sanne and "Persoonsgegevens: bekeken" in sanne[0] and "geen toegang" not in sanne[0]
    ricardo = [v for v in visits if "Ricardo POH" in v]
    assert ricardo and "1 keer geen toegang gekregen" in ricardo[0]


def test_access_page_lists_only_the_own_record(db, world, login):
    assert login(world.poh).get(f"/patienten/{world.other_patient.id}").status_code == 200
    page = login(world.patient_user).get("/mijn/toegang")
    assert "Sanne POH" not in page.text
    assert "Nog geen zorgverlener heeft uw gegevens bekeken." in page.text


def test_admin_exports_the_log_as_csv_and_the_export_is_audited(db, engine, world, login):
    write_entries(engine, 2)
    response = login(world.admin).get(
        "/beheer/audit.csv", query_string={"since": datetime.now(AMSTERDAM).date().isoformat()}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("\ufeffid (code),time (code),user_id (code),Wie,role (code)")
    assert len(lines) == 3
    export = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.export)).one()
    db.commit()
    assert (export.user_id, export.detail) == (world.admin.id, "2 entries")


def test_a_role_refused_at_the_door_is_audited_with_the_patient(db, world, login):
    from sqlmodel import select

    from zelfzorg.audit.models import AuditEntry, AuditOutcome

    response = login(world.caregroup_user).get(f"/patienten/{world.patient.id}/plan")
    assert response.status_code == 403
    entry = db.exec(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.denied)).one()
    assert (entry.user_id, entry.patient_id, entry.object_type) == (
        world.caregroup_user.id,
        world.patient.id,
        "izp.plan",
    )


def test_patients_appear_in_the_log_by_account_number_not_by_name(db, world, login):
    from sqlmodel import select

    from zelfzorg.audit.models import AuditEntry

    client = login(world.patient_user)
    assert client.get("/mijn").status_code == 200
    names = db.exec(
        select(AuditEntry.user_name).where(AuditEntry.user_id == world.patient_user.id)
    ).all()
    assert names and all(n == f"patient account {world.patient_user.id}" for n in names)
    db.rollback()  # end the read transaction (SQLite: every transaction takes the write lock)
    page = client.get("/mijn/toegang", query_string={"eigen": "1"}).text
    assert "U zelf" in page


def test_the_worklist_records_a_read_for_every_patient_it_shows(db, world, login):
    from sqlmodel import select

    from zelfzorg.audit.models import AuditEntry

    assert login(world.poh).get("/werklijst").status_code == 200
    shown = db.exec(
        select(AuditEntry.patient_id).where(
            AuditEntry.object_type == "Worklist", AuditEntry.patient_id.is_not(None)
        )
    ).all()
    # Both enrolled patients of the practice lack a care plan, so both are on the list.
    assert sorted(shown) == sorted([world.patient.id, world.other_patient.id])


@pytest.mark.parametrize(
    ("url", "object_type"),
    [
        ("/signalen/999999", "Alert"),
        ("/metingen/999999/corrigeren", "Measurement"),
        ("/doelen/999999", "Goal"),
        ("/vragenlijsten/antwoorden/999999", "AssessmentResponse"),
    ],
)
def test_asking_for_an_id_that_does_not_exist_is_recorded_as_denied(
    db, world, login, url, object_type
):
    from sqlmodel import select

    from zelfzorg.audit.models import AuditEntry, AuditOutcome

    user = world.patient_user if url.startswith("/vragenlijsten") else world.poh
    assert login(user).get(url).status_code == 404
    entry = db.exec(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.denied)).one()
    assert (entry.object_type, entry.object_id, entry.detail) == (
        object_type,
        "999999",
        "not found",
    )
