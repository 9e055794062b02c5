"""``flask --app wsgi zelfzorg ...``: demo data, demo TOTP codes, organisations and users."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pyotp
import time_machine
from sqlmodel import func, select

from tests.factories import PASSWORD
from zelfzorg.accounts.models import CareGroup, Discipline, Practice, Role, User
from zelfzorg.accounts.services import SecurityPolicy, authenticate
from zelfzorg.patients.models import Enrolment, Patient


def count(db, model, *where) -> int:
    query = select(func.count()).select_from(model)
    for condition in where:
        query = query.where(condition)
    n = db.exec(query).one()
    db.commit()
    return n


def test_demo_seeds_a_care_group_and_prints_the_logins(db, runner):
    result = runner.invoke(args=["zelfzorg", "demo", "--patients", "30"])
    assert result.exit_code == 0, result.output
    assert count(db, CareGroup) == 1
    assert count(db, Practice) == 3
    assert count(db, Patient) == 30
    assert count(db, Patient, Patient.is_demo == False) == 0  # noqa: E712
    # Realistic mix: every patient in at least one programme, some in several.
    per_patient = db.exec(
        select(Enrolment.patient_id, func.count()).group_by(Enrolment.patient_id)
    ).all()
    db.commit()
    assert len(per_patient) == 30
    assert any(n >= 2 for _pid, n in per_patient)
    assert count(db, User, User.role == Role.professional, User.discipline == Discipline.poh) == 3
    for role in (Role.caregroup, Role.admin):
        assert count(db, User, User.role == role) == 1

    out = result.output
    assert "Demo logins (password for all: demo-wachtwoord-2026)" in out
    for email in (
        "poh1@demo.zelfzorg.nl",
        "huisarts@demo.zelfzorg.nl",
        "zorggroep@demo.zelfzorg.nl",
        "beheer@demo.zelfzorg.nl",
        "patient@demo.zelfzorg.nl",
    ):
        assert email in out
    poh = db.exec(select(User).where(User.email == "poh1@demo.zelfzorg.nl")).one()
    db.commit()
    assert f"TOTP secret {poh.totp_secret}" in out
    assert "flask --app wsgi zelfzorg demo-totp poh1@demo.zelfzorg.nl" in out


def test_demo_logins_work_with_the_printed_password(db, runner):
    runner.invoke(args=["zelfzorg", "demo", "--patients", "3"])
    policy = SecurityPolicy(argon2_time_cost=1, argon2_memory_cost=8192)
    for email in ("patient@demo.zelfzorg.nl", "poh1@demo.zelfzorg.nl"):
        authenticate(db, policy, email=email, password="demo-wachtwoord-2026")
    db.rollback()


def test_demo_is_deterministic(db, engine, runner):
    from tests.conftest import empty_database

    def snapshot():
        rows = db.exec(
            select(Patient.given_name, Patient.family_name, Patient.sex).order_by(Patient.id)
        ).all()
        enrolments = db.exec(
            select(Enrolment.programme).order_by(Enrolment.patient_id, Enrolment.id)
        ).all()
        db.commit()
        return [tuple(r) for r in rows], list(enrolments)

    runner.invoke(args=["zelfzorg", "demo", "--patients", "12"])
    first = snapshot()
    empty_database(engine)
    runner.invoke(args=["zelfzorg", "demo", "--patients", "12"])
    assert snapshot() == first


def test_demo_refuses_a_database_with_data_unless_if_empty(db, runner):
    assert runner.invoke(args=["zelfzorg", "demo", "--patients", "5"]).exit_code == 0
    again = runner.invoke(args=["zelfzorg", "demo", "--patients", "5"])
    assert again.exit_code != 0
    assert "already has care groups" in again.output
    assert count(db, Patient) == 5
    quiet = runner.invoke(args=["zelfzorg", "demo", "--if-empty", "--patients", "5"])
    assert quiet.exit_code == 0, quiet.output
    assert "Database already has data: demo not seeded." in quiet.output
    assert "poh1@demo.zelfzorg.nl" in quiet.output  # the logins are printed again
    assert count(db, Patient) == 5
    assert count(db, CareGroup) == 1


def test_demo_if_empty_seeds_an_empty_database(db, runner):
    result = runner.invoke(args=["zelfzorg", "demo", "--if-empty", "--patients", "4"])
    assert result.exit_code == 0, result.output
    assert count(db, Patient) == 4


def test_demo_totp_prints_the_current_code_of_a_demo_account(db, runner):
    runner.invoke(args=["zelfzorg", "demo", "--patients", "3"])
    poh = db.exec(select(User).where(User.email == "poh1@demo.zelfzorg.nl")).one()
    db.commit()
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC), tick=False):
        result = runner.invoke(args=["zelfzorg", "demo-totp", "POH1@demo.zelfzorg.nl"])
        expected = pyotp.TOTP(poh.totp_secret).now()
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"\d{6}", expected)
    assert result.output.strip() == expected


def test_demo_totp_refuses_accounts_that_are_not_demo_accounts(db, world, runner):
    for email in (world.poh.email, "nobody@example.test"):
        result = runner.invoke(args=["zelfzorg", "demo-totp", email])
        assert result.exit_code == 2
        assert "Refused" in result.output
        assert not re.search(r"\b\d{6}\b", result.output)


def test_demo_totp_refuses_a_demo_patient_without_two_factor(db, runner):
    runner.invoke(args=["zelfzorg", "demo", "--patients", "3"])
    result = runner.invoke(args=["zelfzorg", "demo-totp", "patient@demo.zelfzorg.nl"])
    assert result.exit_code == 2


def test_create_caregroup_practice_and_user(db, runner):
    group = runner.invoke(args=["zelfzorg", "create-caregroup", "Zorggroep Noord"])
    assert group.exit_code == 0, group.output
    group_id = int(re.search(r"Care group (\d+)", group.output).group(1))
    practice = runner.invoke(
        args=["zelfzorg", "create-practice", str(group_id), "Het Anker", "--city", "Ede"]
    )
    assert practice.exit_code == 0, practice.output
    practice_id = int(re.search(r"Practice (\d+)", practice.output).group(1))
    user = runner.invoke(
        args=[
            "zelfzorg",
            "create-user",
            "--email",
            "Eva@Example.test",
            "--name",
            "Eva Hoogland",
            "--role",
            "professional",
            "--discipline",
            "gp",
            "--practice-id",
            str(practice_id),
            "--password",
            PASSWORD,
        ]
    )
    assert user.exit_code == 0, user.output
    assert "eva@example.test (professional)" in user.output
    created = db.exec(select(User).where(User.email == "eva@example.test")).one()
    stored = db.get(Practice, practice_id)
    db.commit()
    assert (stored.name, stored.city, stored.care_group_id) == ("Het Anker", "Ede", group_id)
    assert (created.role, created.discipline, created.practice_id) == (
        Role.professional,
        Discipline.gp,
        practice_id,
    )
    assert created.is_demo is False
    assert created.password_hash.startswith("$argon2id$")


def test_create_user_asks_for_the_password_twice(db, world, runner):
    result = runner.invoke(
        args=[
            "zelfzorg",
            "create-user",
            "--email",
            "admin2@example.test",
            "--name",
            "Tweede Beheerder",
            "--role",
            "admin",
        ],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert count(db, User, User.email == "admin2@example.test") == 1


def test_cli_refuses_bad_input_with_a_message_and_no_traceback(db, world, runner):
    duplicate = runner.invoke(args=["zelfzorg", "create-caregroup", world.care_group.name])
    assert duplicate.exit_code == 1
    assert "Er bestaat al een zorggroep met deze naam." in duplicate.output
    assert "Traceback" not in duplicate.output
    no_group = runner.invoke(args=["zelfzorg", "create-practice", "99999", "Nergens"])
    assert no_group.exit_code == 1
    assert "Kies een bestaande zorggroep." in no_group.output
    weak = runner.invoke(
        args=[
            "zelfzorg",
            "create-user",
            "--email",
            "x@example.test",
            "--name",
            "X",
            "--role",
            "admin",
            "--password",
            "kort",
        ]
    )
    assert weak.exit_code == 1
    assert "Kies een wachtwoord van minstens 10 tekens." in weak.output
    assert count(db, CareGroup) == 1
    assert count(db, User, User.email == "x@example.test") == 0


def test_demo_has_a_dietitian_in_two_practices_and_patients_who_moved(db, runner):
    from zelfzorg.accounts.models import PracticeMembership
    from zelfzorg.patients.models import PracticePeriod

    assert runner.invoke(args=["zelfzorg", "demo", "--patients", "20"]).exit_code == 0
    dietitian = db.exec(select(User).where(User.email == "dietist@demo.zelfzorg.nl")).one()
    extra = db.exec(
        select(PracticeMembership.practice_id).where(PracticeMembership.user_id == dietitian.id)
    ).all()
    assert len(extra) == 1 and extra[0] != dietitian.practice_id
    closed = db.exec(select(PracticePeriod).where(PracticePeriod.end_date.is_not(None))).all()
    assert len(closed) == 3
    this_year = datetime.now(ZoneInfo("Europe/Amsterdam")).year  # the demo's today
    assert {p.end_date.year for p in closed} == {this_year - 1}
    for period in closed:
        patient = db.get(Patient, period.patient_id)
        assert patient.practice_id != period.practice_id
    db.commit()
