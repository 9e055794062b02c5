"""Admin pages for the practices of a professional: list, add, remove; audited; refused for
another care group; bad input gets a message and changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.factories import make_care_group, make_practice
from zelfzorg.accounts.models import PracticeMembership
from zelfzorg.audit.models import AuditEntry


def memberships(db, user):
    found = set(
        db.exec(select(PracticeMembership.practice_id).where(PracticeMembership.user_id == user.id))
    )
    db.commit()  # end the read, so the next request can write
    return found


def test_admin_adds_and_removes_a_practice_and_scope_follows(db, world, login, no_csrf):
    admin = login(world.admin)
    url = f"/beheer/gebruikers/{world.poh.id}/praktijken"
    page = admin.get(url).text
    assert "De Linde" in page and "eigen praktijk" in page and "Waalkade" in page
    poh = login(world.poh)
    assert poh.get(f"/patienten/{world.far_patient.id}").status_code == 404

    response = admin.post(f"{url}/toevoegen", data={"practice_id": world.other_practice.id})
    assert response.status_code == 302
    assert memberships(db, world.poh) == {world.other_practice.id}
    assert "Praktijk toegevoegd." in admin.get(url).text
    # Scope is built per request: the next page already reaches the other practice.
    assert poh.get(f"/patienten/{world.far_patient.id}").status_code == 200
    assert "Visser" in poh.get("/werklijst").text

    response = admin.post(f"{url}/{world.other_practice.id}/verwijderen")
    assert response.status_code == 302
    assert memberships(db, world.poh) == set()
    assert poh.get(f"/patienten/{world.far_patient.id}").status_code == 404
    entries = db.exec(
        select(AuditEntry)
        .where(AuditEntry.object_type == "PracticeMembership")
        .order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.user_id) for e in entries] == [
        ("create", world.admin.id),
        ("delete", world.admin.id),
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "Kies een praktijk."),
        ("abc", "Kies een praktijk."),
        ("999999", "Kies een praktijk."),
        ("{home}", "Dit is de eigen praktijk van deze zorgverlener."),
        ("{far}", "Kies een praktijk van de zorggroep van deze zorgverlener."),
    ],
)
def test_bad_membership_input_gets_a_message_and_changes_nothing(
    db, world, login, no_csrf, value, message
):
    far = make_practice(db, make_care_group(db), "Elders")
    db.commit()
    value = {"{home}": str(world.practice.id), "{far}": str(far.id)}.get(value, value)
    response = login(world.admin).post(
        f"/beheer/gebruikers/{world.poh.id}/praktijken/toevoegen", data={"practice_id": value}
    )
    assert response.status_code == 400
    assert message in response.text
    assert memberships(db, world.poh) == set()


def test_adding_twice_and_removing_what_is_not_there_are_refused(db, world, login, no_csrf):
    admin = login(world.admin)
    url = f"/beheer/gebruikers/{world.poh.id}/praktijken"
    admin.post(f"{url}/toevoegen", data={"practice_id": world.other_practice.id})
    again = admin.post(f"{url}/toevoegen", data={"practice_id": world.other_practice.id})
    assert again.status_code == 400
    assert "Deze zorgverlener werkt al voor deze praktijk." in again.text
    gone = admin.post(f"{url}/{world.practice.id}/verwijderen", follow_redirects=True)
    assert "Deze zorgverlener werkt niet voor deze praktijk." in gone.text
    assert memberships(db, world.poh) == {world.other_practice.id}


def test_membership_pages_only_for_professionals_and_admins(db, world, login, no_csrf):
    admin = login(world.admin)
    for user in (world.patient_user, world.caregroup_user, world.admin):
        assert admin.get(f"/beheer/gebruikers/{user.id}/praktijken").status_code == 404
    assert admin.get("/beheer/gebruikers/999999/praktijken").status_code == 404
    for persona in (world.poh, world.caregroup_user):
        client = login(persona)
        url = f"/beheer/gebruikers/{world.poh.id}/praktijken"
        assert client.get(url).status_code == 403
        assert (
            client.post(
                f"{url}/toevoegen", data={"practice_id": world.other_practice.id}
            ).status_code
            == 403
        )
    assert memberships(db, world.poh) == set()


def test_membership_pages_need_csrf(db, world, login):
    response = login(world.admin).post(
        f"/beheer/gebruikers/{world.poh.id}/praktijken/toevoegen",
        data={"practice_id": world.other_practice.id},
    )
    assert response.status_code == 400
    assert memberships(db, world.poh) == set()


def test_membership_messages_in_english(db, world, login, no_csrf):
    admin = login(world.admin)
    admin.post("/taal", data={"lang": "en"})
    response = admin.post(
        f"/beheer/gebruikers/{world.poh.id}/praktijken/toevoegen",
        data={"practice_id": world.practice.id},
    )
    assert "This is the professional&#39;s own practice." in response.text
