"""Moving a patient to another practice from the patient page, and what counts where after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from tests.factories import make_care_group, make_patient, make_practice, make_user
from zelfzorg.accounts.models import PracticeMembership, Role
from zelfzorg.accounts.reports import practice_overview
from zelfzorg.audit.models import AuditEntry
from zelfzorg.patients import population as pop
from zelfzorg.patients.models import Enrolment, Patient, PracticePeriod
from zelfzorg.patients.practice_history import move_patient
from zelfzorg.web import today
from zelfzorg.worklist import collect


def move(client, patient_id, **data):
    form = {"practice_id": "", "on": "", **data}
    return client.post(f"/patienten/{patient_id}/praktijk", data=form)


def test_professional_moves_a_patient_and_the_old_practice_loses_the_record(
    db, world, login, no_csrf
):
    client = login(world.poh)
    page = client.get(f"/patienten/{world.patient.id}").text
    assert "Verhuizen naar een andere praktijk" in page and "Waalkade" in page
    on = today() - timedelta(days=10)
    response = move(
        client,
        world.patient.id,
        practice_id=world.other_practice.id,
        on=on.isoformat(),
        confirm="y",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/patienten")
    assert "Waalkade" in client.get("/patienten").text  # the flash names the new practice
    # The old practice's POH no longer reaches the record, the new one does.
    assert client.get(f"/patienten/{world.patient.id}").status_code == 404
    assert "Willemsen" not in client.get("/patienten").text
    assert "Willemsen" not in client.get("/werklijst").text
    new = login(world.other_poh)
    page = new.get(f"/patienten/{world.patient.id}")
    assert page.status_code == 200
    assert "De Linde" in page.text and "Waalkade" in page.text  # the history of periods
    assert "Willemsen" in new.get("/werklijst").text
    db.expire_all()
    periods = db.exec(
        select(PracticePeriod)
        .where(PracticePeriod.patient_id == world.patient.id)
        .order_by(PracticePeriod.start_date)
    ).all()
    assert [(p.practice_id, p.end_date) for p in periods] == [
        (world.practice.id, on),
        (world.other_practice.id, None),
    ]
    entry = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "PracticePeriod", AuditEntry.user_id == world.poh.id
        )
    ).one()
    assert (entry.patient_id, entry.action, entry.outcome) == (
        world.patient.id,
        "update",
        "allowed",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"on": "{today}", "confirm": "y"}, "Kies een praktijk van de zorggroep."),
        (
            {"practice_id": "abc", "on": "{today}", "confirm": "y"},
            "Kies een praktijk van de zorggroep.",
        ),
        ({"practice_id": "{other}", "on": "{today}"}, "Bevestig de verhuizing."),
        ({"practice_id": "{other}", "confirm": "y"}, "Vul de verhuisdatum in."),
        ({"practice_id": "{other}", "on": "31-02-2026", "confirm": "y"}, None),
        ({"practice_id": "{other}", "on": "{tomorrow}", "confirm": "y"}, "uiterlijk vandaag"),
        ({"practice_id": "{other}", "on": "1950-01-01", "confirm": "y"}, "uiterlijk vandaag"),
        ({"practice_id": "{own}", "on": "{today}", "confirm": "y"}, "hoort al bij deze praktijk"),
        (
            {"practice_id": "{far}", "on": "{today}", "confirm": "y"},
            "Kies een praktijk van de zorggroep.",
        ),
    ],
)
def test_bad_move_input_gets_a_message_and_changes_nothing(
    db, world, login, no_csrf, data, message
):
    far = make_practice(db, make_care_group(db), "Elders")
    db.commit()
    values = {
        "{today}": today().isoformat(),
        "{tomorrow}": (today() + timedelta(days=1)).isoformat(),
        "{other}": str(world.other_practice.id),
        "{own}": str(world.practice.id),
        "{far}": str(far.id),
    }
    form = {k: values.get(v, v) for k, v in data.items()}
    response = move(login(world.poh), world.patient.id, **form)
    assert response.status_code == 400
    if message:
        assert message in response.text
    assert 'class="error"' in response.text
    db.expire_all()
    assert db.get(Patient, world.patient.id).practice_id == world.practice.id
    assert (
        len(
            db.exec(
                select(PracticePeriod).where(PracticePeriod.patient_id == world.patient.id)
            ).all()
        )
        == 1
    )


def test_move_messages_in_english_with_the_date_written_out(db, world, login, no_csrf):
    client = login(world.poh)
    client.post("/taal", data={"lang": "en"})
    response = move(
        client, world.patient.id, practice_id=world.other_practice.id, on=today().isoformat()
    )
    assert "Confirm the move." in response.text
    response = move(
        client,
        world.patient.id,
        practice_id=world.other_practice.id,
        on="1950-01-01",
        confirm="y",
    )
    assert response.status_code == 400
    # The first period starts at the date of birth, 14 March 1955: Babel writes it out.
    assert "Choose a moving date after 14 March 1955 and no later than today." in response.text


def test_move_of_a_patient_of_another_practice_is_refused_and_audited(db, world, login, no_csrf):
    response = move(
        login(world.poh),
        world.far_patient.id,
        practice_id=world.practice.id,
        on=today().isoformat(),
        confirm="y",
    )
    assert response.status_code == 404
    db.expire_all()
    assert db.get(Patient, world.far_patient.id).practice_id == world.other_practice.id
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "PracticePeriod", AuditEntry.outcome == "denied"
        )
    ).one()
    assert denied.patient_id == world.far_patient.id


def test_moved_patient_counts_for_the_old_practice_before_and_the_new_after(db, world):
    on = today() - timedelta(days=30)
    before, after = on - timedelta(days=1), on
    move_patient(
        db,
        world.actor(world.poh),
        world.patient.id,
        practice_id=world.other_practice.id,
        on=on,
        today=today(),
    )
    db.commit()

    def overview(day):
        return {
            r.practice.id: r.enrolled
            for r in practice_overview(db, world.actor(world.caregroup_user), today=day)
        }

    assert overview(before) == {world.practice.id: 2, world.other_practice.id: 1}
    assert overview(after) == {world.practice.id: 1, world.other_practice.id: 2}

    def worklist(practice, day):
        return {i.patient_id for i in collect(db, [practice.id], day)}

    assert world.patient.id in worklist(world.practice, before)
    assert world.patient.id not in worklist(world.other_practice, before)
    assert world.patient.id in worklist(world.other_practice, after)
    assert world.patient.id not in worklist(world.practice, after)
    lines = [
        i
        for i in collect(db, [world.practice.id, world.other_practice.id], after)
        if i.patient_id == world.patient.id
    ]
    assert lines and {i.practice_id for i in lines} == {world.other_practice.id}


def test_practice_overview_matches_the_population(db, world):
    """A generated care group: ended and future enrolments, moves; the overview's figure per
    practice is the population's count on every day tried."""
    import random

    rng = random.Random(10)
    practices = [world.practice, world.other_practice, make_practice(db, world.care_group)]
    # Someone who works for all three practices moves patients between them.
    mover = make_user(db, Role.professional, practice=world.practice)
    for practice in practices[1:]:
        db.add(PracticeMembership(user_id=mover.id, practice_id=practice.id))
    db.flush()
    actor = world.actor(mover)
    base = today() - timedelta(days=400)
    for i in range(30):
        start = base + timedelta(days=rng.randint(0, 300))
        patient = make_patient(db, rng.choice(practices), start=start)
        if i % 4 == 0:
            enrolment = db.exec(select(Enrolment).where(Enrolment.patient_id == patient.id)).one()
            enrolment.end_date = enrolment.start_date + timedelta(days=rng.randint(1, 200))
            db.add(enrolment)
        if i % 3 == 0:
            target = rng.choice([p for p in practices if p.id != patient.practice_id])
            on = base + timedelta(days=rng.randint(1, 390))
            move_patient(db, actor, patient.id, practice_id=target.id, on=on, today=today())
    db.commit()
    for offset in (0, 100, 250, 399, 400):
        day = base + timedelta(days=offset)
        expected = dict(
            db.exec(pop.count_by_practice(day, care_group_id=world.care_group.id)).all()
        )
        shown = {
            r.practice.id: r.enrolled
            for r in practice_overview(db, world.actor(world.caregroup_user), today=day)
        }
        assert shown == {p.id: expected.get(p.id, 0) for p in practices}
        # And against a plain Python reading of the rows.
        reference: dict[int, int] = {}
        for patient in db.exec(select(Patient)).all():
            periods = db.exec(
                select(PracticePeriod).where(PracticePeriod.patient_id == patient.id)
            ).all()
            place = [
                p.practice_id
                for p in periods
                if p.start_date <= day and (p.end_date is None or p.end_date > day)
            ]
            enrolments = db.exec(select(Enrolment).where(Enrolment.patient_id == patient.id)).all()
            if place and any(pop.is_enrolment_active(e, day) for e in enrolments):
                reference[place[0]] = reference.get(place[0], 0) + 1
        assert shown == {p.id: reference.get(p.id, 0) for p in practices}


def test_offered_patients_of_a_practice_follow_the_practice_at_the_end_of_the_period(db, world):
    from datetime import date

    from tests.leefstijl.helpers import make_intervention, make_referral
    from zelfzorg.leefstijl import referral_states as rs
    from zelfzorg.leefstijl.indicators import offered_patients

    intervention = make_intervention(db, world.care_group.id)
    make_referral(db, world.patient.id, intervention, rs.OFFERED)  # offered in November 2026
    move_patient(
        db,
        world.actor(world.poh),
        world.patient.id,
        practice_id=world.other_practice.id,
        on=date(2026, 11, 30),
        today=max(today(), date(2026, 11, 30)),
    )
    db.flush()

    def offered(practice, end):
        stmt = offered_patients(date(2026, 1, 1), end, practice_id=practice.id)
        return set(db.exec(stmt).all())

    assert offered(world.practice, date(2026, 11, 29)) == {world.patient.id}
    assert offered(world.other_practice, date(2026, 11, 29)) == set()
    assert offered(world.other_practice, date(2026, 12, 31)) == {world.patient.id}
    assert offered(world.practice, date(2026, 12, 31)) == set()
