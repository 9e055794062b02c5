"""Patient activation codes: made by the own practice, 6 weeks valid, single use."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from tests.factories import POLICY, make_patient
from zelfzorg.accounts.models import ActivationCode, Role, User
from zelfzorg.accounts.services import (
    ACTIVATION_FAILED,
    activate_account,
    create_activation_code,
)
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import Forbidden, NotFound, ValidationError

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NEW_PASSWORD = "mijn-eigen-wachtwoord"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture()
def newcomer(db, world):
    """A patient of the world's practice without an account yet."""
    patient = make_patient(db, world.practice, given="Truus", family="Jansen")
    db.commit()
    return patient


def activate(db, code, email="truus@example.test", *, now=T0, password=NEW_PASSWORD):
    return activate_account(db, POLICY, code=code, email=email, password=password, now=now)


def test_the_patients_poh_creates_a_code_valid_for_six_weeks(db, world, newcomer):
    code, row = create_activation_code(db, POLICY, world.actor(world.poh), newcomer.id, now=T0)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert row.patient_id == newcomer.id
    assert row.created_by_id == world.poh.id
    assert row.expires_at == T0 + timedelta(weeks=6)
    assert code not in row.code_hash  # only a hash is stored


def test_poh_of_another_practice_is_denied_and_the_attempt_audited(db, world, newcomer):
    with pytest.raises(NotFound):
        create_activation_code(db, POLICY, world.actor(world.other_poh), newcomer.id, now=T0)
    assert db.exec(select(ActivationCode)).all() == []
    entry = db.exec(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.denied)).one()
    assert entry.user_id == world.other_poh.id
    assert entry.patient_id == newcomer.id
    assert entry.object_type == "ActivationCode"


@pytest.mark.parametrize("persona", ["caregroup_user", "admin", "patient_user"])
def test_only_professionals_create_activation_codes(db, world, newcomer, persona):
    with pytest.raises(Forbidden):
        create_activation_code(db, POLICY, world.actor(getattr(world, persona)), newcomer.id)
    assert db.exec(select(ActivationCode)).all() == []


def test_no_code_for_a_patient_who_already_has_an_account(db, world):
    with pytest.raises(ValidationError):
        create_activation_code(db, POLICY, world.actor(world.poh), world.patient.id, now=T0)


def test_valid_code_creates_the_account_and_records_the_activation_date(db, world, newcomer):
    code, row = create_activation_code(db, POLICY, world.actor(world.poh), newcomer.id, now=T0)
    moment = T0 + timedelta(days=3)
    user = activate(db, code, "Truus@Example.test", now=moment)
    assert user.role == Role.patient
    assert user.email == "truus@example.test"
    assert user.patient_id == newcomer.id
    assert user.practice_id == world.practice.id
    assert user.name == "Truus Jansen"
    assert user.activated_at == moment
    assert row.used_at == moment
    assert user.password_hash and NEW_PASSWORD not in user.password_hash


def test_code_is_accepted_in_lower_case_and_without_dashes(db, world, newcomer):
    code, _row = create_activation_code(db, POLICY, world.actor(world.poh), newcomer.id, now=T0)
    user = activate(db, code.replace("-", " ").lower())
    assert user.patient_id == newcomer.id


def test_expired_code_is_refused(db, world, newcomer):
    code, _row = create_activation_code(db, POLICY, world.actor(world.poh), newcomer.id, now=T0)
    with pytest.raises(ValidationError) as error:
        activate(db, code, now=T0 + timedelta(weeks=6))
    assert error.value.message == ACTIVATION_FAILED
    assert db.exec(select(User).where(User.patient_id == newcomer.id)).first() is None
    # One second earlier it still worked.
    user = activate(db, code, now=T0 + timedelta(weeks=6) - timedelta(seconds=1))
    assert user.patient_id == newcomer.id


def test_code_works_only_once(db, world, newcomer):
    code, _row = create_activation_code(db, POLICY, world.actor(world.poh), newcomer.id, now=T0)
    activate(db, code)
    with pytest.raises(ValidationError) as error:
        activate(db, code, "someone-else@example.test", now=T0 + timedelta(minutes=1))
    assert error.value.message == ACTIVATION_FAILED
    assert db.exec(select(User).where(User.email == "someone-else@example.test")).first() is None


def test_a_new_code_revokes_the_previous_one(db, world, newcomer):
    actor = world.actor(world.poh)
    first, first_row = create_activation_code(db, POLICY, actor, newcomer.id, now=T0)
    second, _ = create_activation_code(db, POLICY, actor, newcomer.id, now=T0 + timedelta(days=1))
    db.refresh(first_row)
    assert first_row.revoked_at == T0 + timedelta(days=1)
    with pytest.raises(ValidationError):
        activate(db, first, now=T0 + timedelta(days=2))
    user = activate(db, second, now=T0 + timedelta(days=2))
    assert user.patient_id == newcomer.id


def test_unknown_code_is_refused(db, world, newcomer):
    with pytest.raises(ValidationError) as error:
        activate(db, "AAAA-BBBB-CCCC")
    assert error.value.field == "code"


def test_email_already_in_use_is_refused_and_the_code_stays_usable(db, world, newcomer):
    code, row = create_activation_code(db, POLICY, world.actor(world.poh), newcomer.id, now=T0)
    with pytest.raises(ValidationError) as error:
        activate(db, code, world.poh.email.upper())
    assert error.value.field == "email"
    assert row.used_at is None
    assert activate(db, code).email == "truus@example.test"


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("geen-adres", NEW_PASSWORD, "email"), ("truus@example.test", "kort", "password")],
)
def test_bad_email_or_short_password_is_refused_without_using_the_code(
    db, world, newcomer, email, password, field
):
    code, row = create_activation_code(db, POLICY, world.actor(world.poh), newcomer.id, now=T0)
    with pytest.raises(ValidationError) as error:
        activate(db, code, email, password=password)
    assert error.value.field == field
    assert row.used_at is None


def _token(page: str) -> str:
    return CSRF.search(page).group(1)


def test_activation_through_the_web_pages(app, db, world, newcomer, login):
    poh = login(world.poh)
    detail = f"/patienten/{newcomer.id}"
    page = poh.get(detail).get_data(as_text=True)
    assert "Deze patiënt heeft nog geen account." in page
    response = poh.post(f"{detail}/activatiecode", data={"csrf_token": _token(page)})
    assert response.status_code == 302
    shown = poh.get(detail).get_data(as_text=True)
    code = re.search(r'<strong class="code">([A-Z0-9-]+)</strong>', shown).group(1)
    # Shown once only.
    assert code not in poh.get(detail).get_data(as_text=True)

    visitor = app.test_client()
    form = visitor.get("/activeren").get_data(as_text=True)
    data = {
        "code": code,
        "email": "truus@example.test",
        "password": NEW_PASSWORD,
        "csrf_token": _token(form),
    }
    done = visitor.post("/activeren", data=data)
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/mijn")
    assert "Truus" in visitor.get("/mijn").get_data(as_text=True)

    # The same code a second time, by someone else: refused with a clear message.
    other = app.test_client()
    data = {
        **data,
        "email": "ander@example.test",
        "csrf_token": _token(other.get("/activeren").text),
    }
    again = other.post("/activeren", data=data)
    assert again.status_code == 400  # the form again, refused
    assert "Deze activatiecode is niet geldig." in again.get_data(as_text=True)
    db.commit()
    user = db.exec(select(User).where(User.patient_id == newcomer.id)).one()
    db.commit()
    assert user.email == "truus@example.test"
    assert user.activated_at is not None
    assert "Account geactiveerd op" in poh.get(detail).get_data(as_text=True)


def test_poh_of_another_practice_gets_404_on_the_activation_code_route(db, world, newcomer, login):
    client = login(world.other_poh)
    page = client.get("/patienten").get_data(as_text=True)
    response = client.post(
        f"/patienten/{newcomer.id}/activatiecode", data={"csrf_token": _token(page)}
    )
    assert response.status_code == 404
    db.commit()
    assert db.exec(select(ActivationCode)).all() == []
    denied = db.exec(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.denied)).all()
    db.commit()
    assert [(e.user_id, e.patient_id) for e in denied] == [(world.other_poh.id, newcomer.id)]
