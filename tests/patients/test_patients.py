"""Patients: create, search, open, enrolments and care team, always within the own practice."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

from tests.factories import make_patient, make_user
from zelfzorg.accounts.models import Role
from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.errors import Forbidden, NotFound, ValidationError
from zelfzorg.patients.models import CareTeamMember, CareTeamRole, Condition, Enrolment, Sex
from zelfzorg.patients.services import (
    PatientInput,
    create_patient,
    end_enrolment,
    enrol,
    open_patient,
    search_patients,
    set_care_team_member,
)

TODAY = date(2026, 6, 15)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def person(**kw) -> PatientInput:
    values = {
        "given_name": "Anna",
        "family_name": "de Vries",
        "date_of_birth": date(1950, 5, 1),
        "sex": "female",
        "his_number": None,
    }
    values.update(kw)
    return PatientInput(**values)


# --- create ----------------------------------------------------------------------------------


def test_professional_creates_a_patient_in_their_own_practice(db, world):
    patient = create_patient(
        db, world.actor(world.poh), person(given_name=" Anna ", his_number=" 4711 "), today=TODAY
    )
    assert patient.practice_id == world.practice.id
    assert (patient.given_name, patient.his_number, patient.sex) == ("Anna", "4711", Sex.female)
    assert patient.created_by_id == world.poh.id
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.create)).one()
    assert (entry.object_type, entry.patient_id) == ("Patient", patient.id)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"given_name": "  "}, "given_name", "Vul een voornaam in (hoogstens 100 tekens)."),
        ({"family_name": ""}, "family_name", "Vul een achternaam in (hoogstens 100 tekens)."),
        ({"family_name": "x" * 101}, "family_name", "Vul een achternaam in"),
        ({"date_of_birth": None}, "date_of_birth", "Vul een geldige geboortedatum in."),
        ({"date_of_birth": date(2026, 6, 16)}, "date_of_birth", "Vul een geldige geboortedatum"),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth", "Vul een geldige geboortedatum"),
        ({"sex": "x"}, "sex", "Kies het geslacht."),
        ({"his_number": "12/34"}, "his_number", "Het HIS-nummer mag alleen letters en cijfers"),
    ],
)
def test_invalid_patient_input_is_refused_with_a_message(db, world, changes, field, message):
    with pytest.raises(ValidationError) as error:
        create_patient(db, world.actor(world.poh), person(**changes), today=TODAY)
    assert error.value.field == field
    assert error.value.message.startswith(message)


def test_his_number_is_unique_within_a_practice_but_not_across_practices(db, world):
    create_patient(db, world.actor(world.poh), person(his_number="A-100"), today=TODAY)
    with pytest.raises(ValidationError) as error:
        create_patient(
            db, world.actor(world.poh), person(given_name="Ander", his_number="A-100"), today=TODAY
        )
    assert error.value.field == "his_number"
    elsewhere = create_patient(
        db, world.actor(world.other_poh), person(his_number="A-100"), today=TODAY
    )
    assert elsewhere.practice_id == world.other_practice.id


@pytest.mark.parametrize("persona", ["patient_user", "caregroup_user", "admin"])
def test_only_professionals_create_patients(db, world, persona):
    with pytest.raises(Forbidden):
        create_patient(db, world.actor(getattr(world, persona)), person(), today=TODAY)


def test_new_patient_page_shows_the_duplicate_his_message(db, world, login):
    make_patient(db, world.practice).his_number = "H-1"
    db.commit()
    client = login(world.poh)
    token = CSRF.search(client.get("/patienten/nieuw").get_data(as_text=True)).group(1)
    response = client.post(
        "/patienten/nieuw",
        data={
            "given_name": "Anna",
            "family_name": "de Vries",
            "date_of_birth": "1950-05-01",
            "sex": "female",
            "his_number": "H-1",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400  # the form again, refused
    assert "Er is al een patiënt met dit HIS-nummer in uw praktijk." in response.text


def test_new_patient_page_requires_the_fields(db, world, login):
    client = login(world.poh)
    token = CSRF.search(client.get("/patienten/nieuw").get_data(as_text=True)).group(1)
    response = client.post("/patienten/nieuw", data={"csrf_token": token, "sex": "female"})
    assert response.status_code == 400  # the form again, refused
    assert response.text.count('class="error"') >= 3  # given name, family name, birth date


# --- search ----------------------------------------------------------------------------------


def names(page) -> list[str]:
    return [row.patient.family_name for row in page.rows]


def test_search_by_name_his_number_and_birth_date_within_the_own_practice(db, world):
    actor = world.actor(world.poh)
    anna = make_patient(db, world.practice, given="Anna", family="Visser", born=date(1961, 2, 3))
    anna.his_number = "HIS-777"
    db.flush()

    assert names(search_patients(db, actor, query="vis", today=TODAY)) == ["Visser"]
    assert names(search_patients(db, actor, query="ANNA", today=TODAY)) == ["Visser"]
    assert names(search_patients(db, actor, query="his-777", today=TODAY)) == ["Visser"]
    assert names(search_patients(db, actor, query="03-02-1961", today=TODAY)) == ["Visser"]
    assert names(search_patients(db, actor, query="14-03-1955", today=TODAY)) == [
        "Bakker",
        "Willemsen",
    ]
    everyone = search_patients(db, actor, today=TODAY)
    assert everyone.total == 3
    assert sorted(names(everyone)) == ["Bakker", "Visser", "Willemsen"]
    # The other practice's Piet Visser never appears, by name, number or birth date.
    for query in ("Piet", "Visser", "14-03-1955", ""):
        page = search_patients(db, actor, query=query, today=TODAY)
        assert world.far_patient.id not in [r.patient.id for r in page.rows]


def test_search_filters_on_active_programme(db, world):
    actor = world.actor(world.poh)
    page = search_patients(db, actor, programme="COPD", today=TODAY)
    assert names(page) == ["Bakker"]
    assert page.rows[0].programmes == ["COPD"]
    willemsen = search_patients(db, actor, query="Willemsen", today=TODAY).rows[0]
    assert willemsen.programmes == ["CVRM", "DM2"]


def test_search_is_paged(db, world):
    for i in range(30):
        make_patient(db, world.practice, family=f"Zwart{i:02d}")
    first = search_patients(db, world.actor(world.poh), query="zwart", today=TODAY)
    second = search_patients(db, world.actor(world.poh), query="zwart", page=2, today=TODAY)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (30, 2, 25, 5)
    assert set(names(first)).isdisjoint(names(second))


@pytest.mark.parametrize("persona", ["patient_user", "caregroup_user", "admin"])
def test_only_professionals_search_patients(db, world, persona):
    with pytest.raises(Forbidden):
        search_patients(db, world.actor(getattr(world, persona)), today=TODAY)


def test_patient_list_page_never_shows_another_practice(db, world, login):
    text = login(world.poh).get("/patienten").get_data(as_text=True)
    assert "Willemsen" in text and "Bakker" in text
    assert "Visser" not in text
    text = login(world.poh).get("/patienten", query_string={"q": "Visser"}).get_data(as_text=True)
    assert "Piet" not in text


def test_search_is_audited(db, world):
    search_patients(db, world.actor(world.poh), query="Bak", today=TODAY)
    entry = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.search, AuditEntry.object_type == "Patient"
        )
    ).one()
    assert entry.user_id == world.poh.id
    assert "results=1" in entry.detail
    assert "Bak" not in entry.detail  # the words searched may identify a patient
    shown = db.exec(select(AuditEntry).where(AuditEntry.object_type == "PatientList")).all()
    assert [e.patient_id for e in shown] == [world.other_patient.id]  # Kees Bakker


# --- open ------------------------------------------------------------------------------------


def test_professional_opens_a_patient_of_the_own_practice(db, world, login):
    record = open_patient(db, world.actor(world.poh), world.patient.id)
    assert record.patient.id == world.patient.id
    assert sorted(str(p) for p in record.active_programmes(TODAY)) == ["CVRM", "DM2"]
    db.commit()
    response = login(world.poh).get(f"/patienten/{world.patient.id}")
    assert response.status_code == 200
    assert "Gerda Willemsen" in response.text


def test_patient_of_another_practice_is_404_and_the_attempt_audited(db, world, login):
    response = login(world.other_poh).get(f"/patienten/{world.patient.id}")
    assert response.status_code == 404
    assert "Willemsen" not in response.text
    entries = db.exec(select(AuditEntry).where(AuditEntry.user_id == world.other_poh.id)).all()
    db.commit()
    assert [(e.action, e.outcome, e.patient_id, e.object_type) for e in entries] == [
        (AuditAction.read, AuditOutcome.denied, world.patient.id, "Patient")
    ]


def test_unknown_patient_is_404_and_audited(db, world, login):
    response = login(world.poh).get("/patienten/987654")
    assert response.status_code == 404
    entry = db.exec(select(AuditEntry).where(AuditEntry.object_id == "987654")).one()
    db.commit()
    assert entry.outcome == AuditOutcome.denied


@pytest.mark.parametrize("persona", ["caregroup_user", "admin", "other_poh"])
def test_open_patient_service_refuses_everyone_outside_the_practice(db, world, persona):
    with pytest.raises(NotFound):
        open_patient(db, world.actor(getattr(world, persona)), world.patient.id)


def test_inactive_professional_is_refused(db, world):
    world.poh.is_active = False
    with pytest.raises(NotFound):
        open_patient(db, world.actor(world.poh), world.patient.id)


def test_unknown_patient_raises_not_found(db, world):
    with pytest.raises(NotFound):
        open_patient(db, world.actor(world.poh), 987654)


# --- a patient sees only themselves ----------------------------------------------------------


def test_patient_reaches_only_their_own_record(db, world):
    actor = world.actor(world.patient_user)
    assert open_patient(db, actor, world.patient.id).patient.id == world.patient.id
    for other in (world.other_patient, world.far_patient):
        with pytest.raises(NotFound):
            open_patient(db, actor, other.id)


def test_patient_home_shows_the_own_record_only(db, world, login):
    response = login(world.patient_user).get("/mijn")
    assert response.status_code == 200
    assert "Gerda" in response.text
    assert "Bakker" not in response.text and "Visser" not in response.text
    assert login(world.patient_user).get(f"/patienten/{world.other_patient.id}").status_code == 403


# --- enrolments ------------------------------------------------------------------------------


def test_enrolment_adds_the_programme_condition(db, world):
    actor = world.actor(world.poh)
    enrolment = enrol(
        db, actor, world.other_patient.id, programme="DM2", start_date=date(2026, 1, 5), today=TODAY
    )
    assert (enrolment.programme, enrolment.start_date) == ("DM2", date(2026, 1, 5))
    assert enrolment.created_by_id == world.poh.id
    condition = db.exec(
        select(Condition).where(Condition.patient_id == world.other_patient.id)
    ).one()
    assert (condition.code, condition.onset_date) == ("T90.02", date(2026, 1, 5))


@pytest.mark.parametrize(
    ("programme", "start", "field"),
    [
        ("DM3", date(2026, 1, 1), "programme"),
        ("DM2", None, "start_date"),
        ("DM2", date(2026, 6, 16), "start_date"),
        ("COPD", date(2026, 1, 1), "programme"),  # already active
    ],
)
def test_enrolment_rules(db, world, programme, start, field):
    with pytest.raises(ValidationError) as error:
        enrol(
            db,
            world.actor(world.poh),
            world.other_patient.id,
            programme=programme,
            start_date=start,
            today=TODAY,
        )
    assert error.value.field == field


def test_ended_programme_can_be_started_again(db, world):
    actor = world.actor(world.poh)
    copd = db.exec(select(Enrolment).where(Enrolment.patient_id == world.other_patient.id)).one()
    end_enrolment(db, actor, copd.patient_id, copd.id, end_date=date(2026, 3, 1), today=TODAY)
    again = enrol(
        db,
        actor,
        world.other_patient.id,
        programme="COPD",
        start_date=date(2026, 4, 1),
        today=TODAY,
    )
    assert again.id != copd.id
    assert db.exec(select(Condition).where(Condition.patient_id == world.other_patient.id)).all()


def test_end_enrolment_rules(db, world):
    actor = world.actor(world.poh)
    copd = db.exec(select(Enrolment).where(Enrolment.patient_id == world.other_patient.id)).one()
    for bad in (None, date(2019, 12, 31), date(2026, 6, 16)):
        with pytest.raises(ValidationError) as error:
            end_enrolment(db, actor, copd.patient_id, copd.id, end_date=bad, today=TODAY)
        assert error.value.field == "end_date"
    ended = end_enrolment(db, actor, copd.patient_id, copd.id, end_date=TODAY, today=TODAY)
    assert ended.end_date == TODAY
    with pytest.raises(ValidationError):
        end_enrolment(db, actor, copd.patient_id, copd.id, end_date=TODAY, today=TODAY)
    assert copd.end_date == TODAY  # ended, never deleted


def test_other_practice_cannot_enrol_or_end_enrolments(db, world):
    actor = world.actor(world.other_poh)
    with pytest.raises(NotFound):
        enrol(
            db,
            actor,
            world.patient.id,
            programme="COPD",
            start_date=date(2026, 1, 1),
            today=TODAY,
        )
    enrolment = db.exec(select(Enrolment).where(Enrolment.patient_id == world.patient.id)).first()
    with pytest.raises(NotFound):
        end_enrolment(db, actor, enrolment.patient_id, enrolment.id, end_date=TODAY, today=TODAY)
    assert enrolment.end_date is None


def test_enrol_and_end_through_the_patient_page(db, world, login):
    client = login(world.poh)
    url = f"/patienten/{world.other_patient.id}"
    token = CSRF.search(client.get(url).get_data(as_text=True)).group(1)
    future = client.post(
        f"{url}/inschrijvingen",
        data={"programme": "DM2", "start_date": "2099-01-01", "csrf_token": token},
    )
    assert future.status_code == 400
    assert "De startdatum mag niet in de toekomst liggen." in future.text
    ok = client.post(
        f"{url}/inschrijvingen",
        data={"programme": "DM2", "start_date": "2024-01-01", "csrf_token": token},
    )
    assert ok.status_code == 302
    dm2 = db.exec(
        select(Enrolment).where(
            Enrolment.patient_id == world.other_patient.id, Enrolment.programme == "DM2"
        )
    ).one()
    db.commit()
    ended = client.post(
        f"{url}/inschrijvingen/{dm2.id}/beeindigen",
        data={"end_date": "2025-01-01", "csrf_token": token},
    )
    assert ended.status_code == 302
    db.refresh(dm2)
    db.commit()
    assert dm2.end_date == date(2025, 1, 1)


# --- care team -------------------------------------------------------------------------------


def test_care_team_has_one_hoofdbehandelaar_and_one_contact_but_many_members(db, world):
    actor = world.actor(world.poh)
    gp = make_user(db, Role.professional, practice=world.practice, name="Dokter Eva")
    pid = world.patient.id
    set_care_team_member(db, actor, pid, user_id=world.poh.id, role="hoofdbehandelaar")
    set_care_team_member(db, actor, pid, user_id=gp.id, role="hoofdbehandelaar")
    set_care_team_member(db, actor, pid, user_id=world.poh.id, role="contactpersoon")
    set_care_team_member(db, actor, pid, user_id=world.poh.id, role="member")
    set_care_team_member(db, actor, pid, user_id=gp.id, role="member")
    set_care_team_member(db, actor, pid, user_id=gp.id, role="member")  # idempotent
    team = db.exec(select(CareTeamMember).where(CareTeamMember.patient_id == pid)).all()
    assert sorted((m.role, m.user_id) for m in team) == sorted(
        [
            (CareTeamRole.hoofdbehandelaar, gp.id),
            (CareTeamRole.contactpersoon, world.poh.id),
            (CareTeamRole.member, world.poh.id),
            (CareTeamRole.member, gp.id),
        ]
    )


def test_care_team_members_are_professionals_of_the_patients_practice(db, world):
    actor = world.actor(world.poh)
    for user in (world.other_poh, world.patient_user, world.caregroup_user):
        with pytest.raises(ValidationError) as error:
            set_care_team_member(
                db, actor, world.patient.id, user_id=user.id, role="contactpersoon"
            )
        assert error.value.field == "user_id"
    with pytest.raises(ValidationError):
        set_care_team_member(db, actor, world.patient.id, user_id=world.poh.id, role="baas")
    with pytest.raises(NotFound):
        set_care_team_member(
            db,
            world.actor(world.other_poh),
            world.patient.id,
            user_id=world.other_poh.id,
            role="member",
        )
    assert db.exec(select(CareTeamMember)).all() == []


def test_care_team_through_the_patient_page(db, world, login):
    client = login(world.poh)
    url = f"/patienten/{world.patient.id}"
    token = CSRF.search(client.get(url).get_data(as_text=True)).group(1)
    response = client.post(
        f"{url}/zorgteam",
        data={"user_id": str(world.poh.id), "role": "hoofdbehandelaar", "csrf_token": token},
    )
    assert response.status_code == 302
    member = db.exec(select(CareTeamMember)).one()
    db.commit()
    assert (member.patient_id, member.user_id) == (world.patient.id, world.poh.id)
    assert "Sanne POH" in client.get(url).text


def test_search_treats_percent_and_underscore_as_text(db, world, login):
    from zelfzorg.patients.services import search_patients
    from zelfzorg.web import today

    actor = world.actor(world.poh)
    assert search_patients(db, actor, query="%", today=today()).total == 0
    assert search_patients(db, actor, query="_", today=today()).total == 0
    assert search_patients(db, actor, query="illem", today=today()).total == 1


def test_an_enrolment_of_another_patient_cannot_be_ended_through_this_record(
    db, world, login, no_csrf
):
    from sqlmodel import select

    from zelfzorg.patients.models import Enrolment

    theirs = db.exec(
        select(Enrolment).where(Enrolment.patient_id == world.other_patient.id)
    ).first()
    db.commit()
    url = f"/patienten/{world.patient.id}/inschrijvingen/{theirs.id}/beeindigen"
    response = login(world.poh).post(url, data={"end_date": "2026-01-01"})
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Enrolment, theirs.id).end_date is None
    db.rollback()
