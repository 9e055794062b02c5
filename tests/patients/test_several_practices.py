"""A professional in two practices sees the patients of both and nothing else (HTTP), lists
filter by practice, and the list pages keep a constant number of queries."""

from __future__ import annotations

import difflib

import pytest
from sqlmodel import select

from tests.factories import make_care_group, make_patient, make_practice, make_user
from tests.leefstijl.helpers import add_measurement, make_intervention
from tests.queries import count_statements
from zelfzorg.accounts.models import Discipline, PracticeMembership, Role
from zelfzorg.audit.models import AuditEntry
from zelfzorg.patients.services import PatientInput, create_patient
from zelfzorg.web import today


@pytest.fixture()
def dietitian(db, world):
    """A dietitian of De Linde who also works for Waalkade; a third practice of the care group
    and a practice of another care group are none of their business."""
    user = make_user(
        db,
        Role.professional,
        practice=world.practice,
        discipline=Discipline.dietitian,
        name="Daan Diëtist",
    )
    db.add(PracticeMembership(user_id=user.id, practice_id=world.other_practice.id))
    third = make_practice(db, world.care_group, "Rivierzicht")
    world.third_patient = make_patient(db, third, given="Truus", family="Derde")
    far_group = make_practice(db, make_care_group(db), "Elders")
    world.outside_patient = make_patient(db, far_group, given="Otto", family="Buiten")
    db.commit()
    return user


def names_on(page: str) -> set[str]:
    return {n for n in ("Willemsen", "Bakker", "Visser", "Derde", "Buiten") if n in page}


def test_dietitian_sees_both_practices_and_nothing_else(db, world, login, dietitian):
    client = login(dietitian)
    patients = client.get("/patienten").text
    assert names_on(patients) == {"Willemsen", "Bakker", "Visser"}
    # Several practices: each line says which one.
    assert "De Linde" in patients and "Waalkade" in patients and "Rivierzicht" not in patients
    worklist = client.get("/werklijst").text
    assert names_on(worklist) == {"Willemsen", "Bakker", "Visser"}
    assert "(Waalkade)" in worklist
    for patient in (world.patient, world.far_patient):
        page = client.get(f"/patienten/{patient.id}")
        assert page.status_code == 200
    assert "Waalkade" in client.get(f"/patienten/{world.far_patient.id}").text
    for patient in (world.third_patient, world.outside_patient):
        assert client.get(f"/patienten/{patient.id}").status_code == 404
        assert client.get(f"/patienten/{patient.id}/leefstijl").status_code == 404
    denied = db.exec(
        select(AuditEntry).where(AuditEntry.user_id == dietitian.id, AuditEntry.outcome == "denied")
    ).all()
    assert {e.patient_id for e in denied} >= {world.third_patient.id, world.outside_patient.id}


def test_one_practice_professional_sees_no_practice_filter(db, world, login):
    page = login(world.poh).get("/patienten").text
    assert 'name="praktijk"' not in page
    assert names_on(page) == {"Willemsen", "Bakker"}


def test_lists_filter_by_one_practice(db, world, login, dietitian):
    client = login(dietitian)
    other = world.other_practice.id
    assert names_on(client.get(f"/patienten?praktijk={other}").text) == {"Visser"}
    assert names_on(client.get(f"/werklijst?praktijk={other}").text) == {"Visser"}
    home = client.get(f"/werklijst?praktijk={world.practice.id}").text
    assert names_on(home) == {"Willemsen", "Bakker"}
    assert client.get(f"/leefstijl/kansen?praktijk={other}").status_code == 200


@pytest.mark.parametrize("value", ["999999", "abc", "-1"])
def test_a_practice_not_theirs_in_the_filter_shows_all_theirs_with_a_message(
    db, world, login, no_csrf, dietitian, value
):
    client = login(dietitian)
    third = world.third_patient
    for url in ("/patienten", "/werklijst", "/leefstijl/kansen"):
        for bad in (value, str(third.practice_id)):
            response = client.get(f"{url}?praktijk={bad}")
            assert response.status_code == 200, url
            assert "Kies een van uw praktijken." in response.text
            assert "Derde" not in response.text
    client.post("/taal", data={"lang": "en"})
    assert "Choose one of your practices." in client.get("/patienten?praktijk=abc").text


def test_new_patient_goes_to_the_chosen_practice_of_the_actor(db, world, dietitian):
    actor = world.actor(dietitian)
    data = {
        "given_name": "Nina",
        "family_name": "Nieuw",
        "date_of_birth": world.patient.date_of_birth,
        "sex": "female",
    }
    home = create_patient(db, actor, PatientInput(**data), today=today())
    assert home.practice_id == world.practice.id
    chosen = create_patient(
        db, actor, PatientInput(**data, practice_id=world.other_practice.id), today=today()
    )
    assert chosen.practice_id == world.other_practice.id
    from zelfzorg.errors import ValidationError

    with pytest.raises(ValidationError):
        create_patient(
            db,
            actor,
            PatientInput(**data, practice_id=world.third_patient.practice_id),
            today=today(),
        )


def _grow(db, world, n):
    for practice in (world.practice, world.other_practice):
        for _ in range(n):
            patient = make_patient(db, practice)
            add_measurement(db, patient.id, "bmi", 31.0)  # eligible for the GLI
    db.commit()


@pytest.mark.parametrize("url", ["/werklijst", "/patienten", "/leefstijl/kansen"])
def test_list_pages_query_count_does_not_grow_with_the_patients(
    app, engine, db, world, login, dietitian, url
):
    make_intervention(db, world.care_group.id)  # so the lifestyle list evaluates everyone
    _grow(db, world, 2)  # both sizes show lines of every kind
    client = login(dietitian)
    client.get(url)  # warm caches (catalogues, instrument files)
    with count_statements(engine) as few:
        small = client.get(url)
    _grow(db, world, 12)
    with count_statements(engine) as many:
        large = client.get(url)
    assert small.status_code == large.status_code == 200
    # The pages did show the new patients (the measure is not of an empty page).
    assert large.text.count("Patiënt") > small.text.count("Patiënt")
    assert len(many) == len(few), "\n".join(
        difflib.unified_diff([x[:150] for x in few], [x[:150] for x in many], lineterm="")
    )
