"""Administration of organisations and staff accounts."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from tests.factories import POLICY
from zelfzorg.accounts.models import CareGroup, Discipline, Practice, Role, User
from zelfzorg.accounts.services import (
    create_care_group,
    create_practice,
    create_user,
    reset_totp,
)
from zelfzorg.errors import Forbidden, ValidationError

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
STRONG = "tijdelijk-wachtwoord-1"


def staff(db, actor, **kw):
    values = {
        "email": "nieuw@example.test",
        "name": "Nieuwe Collega",
        "role": Role.professional,
        "password": STRONG,
        "discipline": Discipline.gp,
        "practice_id": None,
    }
    values.update(kw)
    return create_user(db, POLICY, actor, **values)


def test_admin_creates_care_group_practice_and_professional(db, world):
    admin = world.actor(world.admin)
    group = create_care_group(db, admin, name="  Zorggroep Noord ")
    practice = create_practice(
        db, admin, care_group_id=group.id, name="Het Anker", agb_code="01234567"
    )
    user = staff(db, admin, practice_id=practice.id, email=" Nieuw@Example.TEST ")
    assert group.name == "Zorggroep Noord"
    assert practice.care_group_id == group.id
    assert (user.email, user.role, user.practice_id, user.care_group_id) == (
        "nieuw@example.test",
        Role.professional,
        practice.id,
        None,
    )
    assert user.totp_enrolled_at is None  # enrols at first login


@pytest.mark.parametrize("persona", ["poh", "caregroup_user", "patient_user"])
def test_only_admins_create_organisations_and_users(db, world, persona):
    actor = world.actor(getattr(world, persona))
    with pytest.raises(Forbidden):
        create_care_group(db, actor, name="Zorggroep X")
    with pytest.raises(Forbidden):
        create_practice(db, actor, care_group_id=world.care_group.id, name="Praktijk X")
    with pytest.raises(Forbidden):
        staff(db, actor, practice_id=world.practice.id)
    assert db.exec(select(User).where(User.email == "nieuw@example.test")).first() is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"practice_id": None}, "practice_id"),
        ({"discipline": None}, "discipline"),
        ({"role": Role.patient}, "role"),
        ({"password": "kort"}, "password"),
        ({"email": "geen-adres"}, "email"),
        ({"name": " "}, "name"),
        ({"role": Role.caregroup, "care_group_id": None}, "care_group_id"),
    ],
)
def test_user_creation_refuses_incomplete_input(db, world, changes, field):
    values = {"practice_id": world.practice.id, **changes}
    with pytest.raises(ValidationError) as error:
        staff(db, world.actor(world.admin), **values)
    assert error.value.field == field


def test_email_addresses_are_unique_case_insensitively(db, world):
    with pytest.raises(ValidationError) as error:
        staff(
            db,
            world.actor(world.admin),
            email=world.poh.email.upper(),
            practice_id=world.practice.id,
        )
    assert error.value.field == "email"


def test_care_group_names_are_unique_and_agb_codes_have_eight_digits(db, world):
    admin = world.actor(world.admin)
    with pytest.raises(ValidationError):
        create_care_group(db, admin, name=world.care_group.name.upper())
    with pytest.raises(ValidationError) as error:
        create_practice(db, admin, care_group_id=world.care_group.id, name="X", agb_code="12AB")
    assert error.value.field == "agb_code"
    with pytest.raises(ValidationError):
        create_practice(db, admin, care_group_id=99999, name="X")


def test_reset_totp_forces_reenrolment_and_ends_sessions(db, world, login):
    client = login(world.poh)
    assert client.get("/werklijst").status_code == 200
    reset_totp(db, world.actor(world.admin), world.poh.id)
    db.commit()
    assert world.poh.totp_secret is None and world.poh.totp_enrolled_at is None
    # The old session no longer loads the user.
    assert client.get("/werklijst").status_code == 302


def test_admin_creates_a_user_through_the_admin_pages(app, db, world, login):
    client = login(world.admin)
    page = client.get("/beheer/gebruikers/nieuw").get_data(as_text=True)
    response = client.post(
        "/beheer/gebruikers/nieuw",
        data={
            "name": "Dirk Diëtist",
            "email": "dirk@example.test",
            "role": "professional",
            "discipline": "dietitian",
            "practice_id": str(world.practice.id),
            "care_group_id": "0",
            "password": STRONG,
            "csrf_token": CSRF.search(page).group(1),
        },
    )
    assert response.status_code == 302
    user = db.exec(select(User).where(User.email == "dirk@example.test")).one()
    db.commit()
    assert (user.role, user.discipline, user.practice_id) == (
        Role.professional,
        Discipline.dietitian,
        world.practice.id,
    )


def test_admin_form_shows_the_service_message_for_a_missing_practice(app, db, world, login):
    client = login(world.admin)
    page = client.get("/beheer/gebruikers/nieuw").get_data(as_text=True)
    response = client.post(
        "/beheer/gebruikers/nieuw",
        data={
            "name": "Zonder Praktijk",
            "email": "zonder@example.test",
            "role": "professional",
            "discipline": "gp",
            "practice_id": "0",
            "care_group_id": "0",
            "password": STRONG,
            "csrf_token": CSRF.search(page).group(1),
        },
    )
    assert response.status_code == 400  # the form again, refused
    assert "Kies de praktijk van deze zorgverlener." in response.get_data(as_text=True)
    assert db.exec(select(User).where(User.email == "zonder@example.test")).first() is None
    db.commit()


def test_admin_creates_care_group_and_practice_through_the_admin_pages(db, world, login):
    client = login(world.admin)
    page = client.get("/beheer/zorggroepen/nieuw").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    created = client.post(
        "/beheer/zorggroepen/nieuw", data={"name": "Zorggroep Zuid", "csrf_token": token}
    )
    assert created.status_code == 302
    group = db.exec(select(CareGroup).where(CareGroup.name == "Zorggroep Zuid")).one()
    db.commit()
    response = client.post(
        "/beheer/praktijken/nieuw",
        data={
            "care_group_id": str(group.id),
            "name": "De Brug",
            "city": "Ede",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    practice = db.exec(select(Practice).where(Practice.name == "De Brug")).one()
    db.commit()
    assert (practice.care_group_id, practice.city) == (group.id, "Ede")
