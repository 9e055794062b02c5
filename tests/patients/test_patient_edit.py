"""Correcting a patient's details: name, date of birth, HIS number and practice."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from zelfzorg.accounts.models import User
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.patients import population as pop
from zelfzorg.patients.models import Patient, PracticePeriod
from zelfzorg.patients.services import PatientInput, update_patient
from zelfzorg.web import today

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TODAY = date(2026, 12, 1)


def _input(patient: Patient, **changes) -> PatientInput:
    values = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth,
        "sex": str(patient.sex),
        "his_number": patient.his_number,
        "practice_id": patient.practice_id,
    }
    values.update(changes)
    return PatientInput(**values)


def _saved(db, patient_id: int) -> Patient:
    db.expire_all()
    return db.get(Patient, patient_id)


def test_professional_corrects_the_details_and_the_audit_names_the_fields(db, world):
    patient = world.patient
    update_patient(
        db,
        world.actor(world.poh),
        patient.id,
        _input(
            patient,
            family_name=" Willemsen-de Boer ",
            his_number="H-1234",
            date_of_birth=date(1955, 3, 4),
        ),
        version=1,
        today=TODAY,
    )
    saved = _saved(db, patient.id)
    assert (saved.family_name, saved.his_number, saved.date_of_birth, saved.version) == (
        "Willemsen-de Boer",
        "H-1234",
        date(1955, 3, 4),
        2,
    )
    # The first practice period starts at birth; the patient's own account has the new name.
    (period,) = db.exec(select(PracticePeriod).where(PracticePeriod.patient_id == patient.id)).all()
    assert period.start_date == date(1955, 3, 4)
    assert db.get(User, world.patient_user.id).name == "Gerda Willemsen-de Boer"
    entry = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "Patient",
            AuditEntry.detail.like("changed%"),  # type: ignore[attr-defined]
        )
    ).one()
    assert (entry.patient_id, entry.outcome, entry.user_id) == (
        patient.id,
        AuditOutcome.allowed,
        world.poh.id,
    )
    assert entry.detail == "changed date_of_birth,family_name,his_number"


def test_his_number_is_unique_per_practice(db, world):
    other = world.other_patient
    other.his_number = "H-9"
    db.add(other)
    db.flush()
    with pytest.raises(ValidationError) as caught:
        update_patient(
            db,
            world.actor(world.poh),
            world.patient.id,
            _input(world.patient, his_number="H-9"),
            version=1,
            today=TODAY,
        )
    assert caught.value.field == "his_number"
    # The same number in another practice is fine.
    far = world.far_patient
    update_patient(
        db,
        world.actor(world.other_poh),
        far.id,
        _input(far, his_number="H-9"),
        version=1,
        today=TODAY,
    )
    assert _saved(db, far.id).his_number == "H-9"
    assert _saved(db, world.patient.id).his_number is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"given_name": " "}, "given_name"),
        ({"family_name": "x" * 101}, "family_name"),
        ({"given_name": "Ger\x00da"}, "given_name"),
        ({"date_of_birth": None}, "date_of_birth"),
        ({"date_of_birth": TODAY + timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": date(2021, 1, 1)}, "date_of_birth"),  # after the enrolment start
        ({"sex": "onbekend"}, "sex"),
        ({"his_number": "H 1; drop"}, "his_number"),
    ],
)
def test_bad_details_are_refused_and_change_nothing(db, world, changes, field):
    with pytest.raises(ValidationError) as caught:
        update_patient(
            db,
            world.actor(world.poh),
            world.patient.id,
            _input(world.patient, **changes),
            version=1,
            today=TODAY,
        )
    assert caught.value.field == field
    saved = _saved(db, world.patient.id)
    assert (saved.given_name, saved.family_name, saved.version) == ("Gerda", "Willemsen", 1)


def test_a_stale_edit_is_refused(db, world):
    poh = world.actor(world.poh)
    update_patient(
        db,
        poh,
        world.patient.id,
        _input(world.patient, given_name="Geertje"),
        version=1,
        today=TODAY,
    )
    with pytest.raises(Conflict) as caught:
        update_patient(
            db,
            poh,
            world.patient.id,
            _input(world.patient, given_name="Gea"),
            version=1,
            today=TODAY,
        )
    assert caught.value.current.given_name == "Geertje"
    assert _saved(db, world.patient.id).given_name == "Geertje"


def test_a_practice_change_goes_through_the_history_and_counts_stay_right(db, world):
    patient = world.patient
    day = today()
    on = day - timedelta(days=30)
    before = dict(db.exec(pop.count_by_practice(on - timedelta(days=1))).all())
    update_patient(
        db,
        world.actor(world.poh),
        patient.id,
        _input(patient, practice_id=world.other_practice.id),
        version=1,
        today=day,
        move_on=on,
    )
    saved = _saved(db, patient.id)
    assert saved.practice_id == world.other_practice.id
    periods = db.exec(
        select(PracticePeriod)
        .where(PracticePeriod.patient_id == patient.id)
        .order_by(PracticePeriod.start_date)
    ).all()
    assert [(p.practice_id, p.end_date) for p in periods] == [
        (world.practice.id, on),
        (world.other_practice.id, None),
    ]
    # Before the move the patient still counts for the old practice, from it for the new one.
    assert dict(db.exec(pop.count_by_practice(on - timedelta(days=1))).all()) == before
    after = dict(db.exec(pop.count_by_practice(on)).all())
    assert after[world.other_practice.id] == before[world.other_practice.id] + 1
    assert after[world.practice.id] == before[world.practice.id] - 1


def test_a_move_to_a_practice_outside_the_care_group_or_on_a_bad_date_changes_nothing(db, world):
    from tests.factories import make_care_group, make_practice

    elsewhere = make_practice(db, make_care_group(db))
    poh = world.actor(world.poh)
    for practice_id, on, field in (
        (elsewhere.id, None, "practice_id"),
        (world.other_practice.id, TODAY + timedelta(days=1), "move_on"),
    ):
        with pytest.raises(ValidationError) as caught:
            update_patient(
                db,
                poh,
                world.patient.id,
                _input(world.patient, given_name="Anders", practice_id=practice_id),
                version=1,
                today=TODAY,
                move_on=on,
            )
        assert caught.value.field == field
    saved = _saved(db, world.patient.id)
    assert (saved.practice_id, saved.given_name, saved.version) == (world.practice.id, "Gerda", 1)


def test_another_practice_and_other_roles_are_refused(db, world):
    with pytest.raises(NotFound):
        update_patient(
            db,
            world.actor(world.other_poh),
            world.patient.id,
            _input(world.patient, given_name="X"),
            version=1,
            today=TODAY,
        )
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.user_id == world.other_poh.id, AuditEntry.outcome == AuditOutcome.denied
        )
    ).one()
    assert denied.patient_id == world.patient.id
    for persona in ("caregroup_user", "admin", "patient_user"):
        with pytest.raises(Forbidden):
            update_patient(
                db,
                world.actor(getattr(world, persona)),
                world.patient.id,
                _input(world.patient, given_name="X"),
                version=1,
                today=TODAY,
            )
    assert _saved(db, world.patient.id).given_name == "Gerda"


# --- HTTP -------------------------------------------------------------------------------------


def _form(client, patient_id):
    page = client.get(f"/patienten/{patient_id}/gegevens")
    assert page.status_code == 200
    return page.text, CSRF.search(page.text).group(1)


def _post(client, patient: Patient, token: str, **changes):
    data = {
        "csrf_token": token,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": str(patient.sex),
        "his_number": "",
        "practice_id": str(patient.practice_id),
        "move_on": "",
        "version": "1",
        **changes,
    }
    return client.post(f"/patienten/{patient.id}/gegevens", data=data)


def test_the_details_form_saves_and_returns_to_the_record(db, world, login):
    client = login(world.poh)
    text, token = _form(client, world.patient.id)
    assert 'value="Willemsen"' in text and "Waalkade" in text  # a move target
    response = _post(client, world.patient, token, given_name="Gea")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/patienten/{world.patient.id}")
    assert "Gea Willemsen" in client.get(f"/patienten/{world.patient.id}").text


def test_a_bad_date_gets_a_message_and_saves_nothing(db, world, login):
    client = login(world.poh)
    _text, token = _form(client, world.patient.id)
    response = _post(client, world.patient, token, given_name="Gea", date_of_birth="31-02-1955")
    assert response.status_code == 400
    assert 'class="error"' in response.text
    assert _saved(db, world.patient.id).given_name == "Gerda"


def test_a_stale_form_keeps_what_was_typed(db, world, login):
    client = login(world.poh)
    _text, token = _form(client, world.patient.id)
    assert _post(client, world.patient, token, given_name="Eerst").status_code == 302
    response = _post(client, world.patient, token, given_name="Daarna")
    assert response.status_code == 409
    assert 'value="Daarna"' in response.text and "intussen gewijzigd" in response.text
    assert _saved(db, world.patient.id).given_name == "Eerst"


def test_another_practice_gets_404_and_is_audited(db, world, login, no_csrf):
    client = login(world.other_poh)
    assert client.get(f"/patienten/{world.patient.id}/gegevens").status_code == 404
    response = _post(client, world.patient, "", given_name="X")
    assert response.status_code == 404
    db.expire_all()
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.user_id == world.other_poh.id, AuditEntry.outcome == AuditOutcome.denied
        )
    ).all()
    assert len(denied) == 2 and {e.patient_id for e in denied} == {world.patient.id}
    assert _saved(db, world.patient.id).given_name == "Gerda"


@pytest.mark.parametrize("persona", ["caregroup_user", "admin", "patient_user"])
def test_other_roles_get_403(world, login, persona):
    assert (
        login(getattr(world, persona)).get(f"/patienten/{world.patient.id}/gegevens").status_code
        == 403
    )


def test_an_unknown_patient_is_404(world, login):
    assert login(world.poh).get("/patienten/999999/gegevens").status_code == 404
