"""Care-group staff see aggregated practice figures, never identifiable patient data."""

from __future__ import annotations

from datetime import date

from tests.factories import make_care_group, make_patient, make_practice, make_user
from zelfzorg.accounts.models import Role
from zelfzorg.accounts.reports import practice_overview
from zelfzorg.patients.models import Enrolment, Programme


def test_caregroup_home_shows_practice_counts_and_no_patient_names(db, world, login):
    for i in range(11):
        patient = make_patient(db, world.practice, given="Hendrika", family=f"Zwaan{i:02d}")
        if i < 10:
            make_user(db, Role.patient, patient=patient)
    db.commit()
    page = login(world.caregroup_user).get("/zorggroep")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "De Linde" in text and "Waalkade" in text
    # De Linde: 2 world patients + 11 new = 13 enrolled, 2 + 10 = 12 activated accounts.
    assert '<td class="num">13</td>' in text
    assert '<td class="num">12</td>' in text
    # Waalkade has one patient: suppressed as "< 10".
    assert "&lt; 10" in text
    for name in ("Willemsen", "Bakker", "Visser", "Gerda", "Hendrika", "Zwaan"):
        assert name not in text


def test_practice_overview_counts_only_active_enrolments_of_the_own_care_group(db, world):
    today = date(2026, 6, 1)
    ended = make_patient(db, world.practice, programmes=())
    db.add(
        Enrolment(
            patient_id=ended.id,
            programme=Programme.COPD,
            start_date=date(2020, 1, 1),
            end_date=date(2026, 1, 1),
        )
    )
    future = make_patient(db, world.practice, programmes=(Programme.DM2,), start=date(2027, 1, 1))
    assert future.id
    elsewhere = make_practice(db, make_care_group(db), "Elders")
    make_patient(db, elsewhere)
    db.flush()
    rows = {
        r.practice.name: (r.enrolled, r.activated)
        for r in practice_overview(db, world.actor(world.caregroup_user), today=today)
    }
    assert rows == {"De Linde": (2, 2), "Waalkade": (1, 0)}


def test_caregroup_user_is_denied_every_patient_page_without_seeing_data(db, world, login):
    client = login(world.caregroup_user)
    paths = [
        "/patienten",
        "/patienten/nieuw",
        f"/patienten/{world.patient.id}",
        f"/patienten/{world.far_patient.id}",
        "/mijn",
        "/mijn/toegang",
        "/werklijst",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 403, path
        text = response.get_data(as_text=True)
        for name in ("Willemsen", "Bakker", "Visser"):
            assert name not in text, path
