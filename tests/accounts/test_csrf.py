"""CSRF protection is on in the app (as in production): a POST without token changes nothing."""

from __future__ import annotations

import re

from sqlmodel import func, select

from tests.factories import PASSWORD
from zelfzorg.audit.models import AuditEntry
from zelfzorg.patients.models import Patient

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NEW_PATIENT = {
    "given_name": "Anna",
    "family_name": "de Vries",
    "date_of_birth": "1950-05-01",
    "sex": "female",
    "his_number": "",
}


def count(db, model) -> int:
    n = db.exec(select(func.count()).select_from(model)).one()
    db.commit()
    return n


def test_csrf_is_enabled_in_the_app_fixture(app):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True


def test_login_without_csrf_token_is_rejected_and_changes_nothing(app, db, world):
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"email": world.poh.email, "password": "wrong-pass"})
    assert response.status_code == 400
    assert "Het formulier was verlopen." in response.get_data(as_text=True)
    db.refresh(world.poh)
    db.commit()
    assert world.poh.failed_logins == 0
    assert count(db, AuditEntry) == 0


def test_login_with_a_forged_csrf_token_is_rejected(app, world):
    client = app.test_client()
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": world.patient_user.email, "password": PASSWORD, "csrf_token": "forged"},
    )
    assert response.status_code == 400
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_new_patient_without_csrf_token_is_rejected_and_nothing_is_stored(db, world, login):
    client = login(world.poh)
    before = count(db, Patient)
    response = client.post("/patienten/nieuw", data=NEW_PATIENT)
    assert response.status_code == 400
    assert count(db, Patient) == before


def test_new_patient_with_csrf_token_is_stored(db, world, login):
    """The control for the test above: the same request with its token succeeds."""
    client = login(world.poh)
    before = count(db, Patient)
    token = CSRF.search(client.get("/patienten/nieuw").get_data(as_text=True)).group(1)
    response = client.post("/patienten/nieuw", data={**NEW_PATIENT, "csrf_token": token})
    assert response.status_code == 302
    assert count(db, Patient) == before + 1


def test_logout_without_csrf_token_keeps_the_user_logged_in(world, login):
    client = login(world.patient_user)
    assert client.post("/logout").status_code == 400
    assert client.get("/mijn").status_code == 200


def test_a_token_from_another_session_is_rejected(app, world, login):
    other = app.test_client()
    token = CSRF.search(other.get("/login").get_data(as_text=True)).group(1)
    client = login(world.poh)
    client.get("/patienten/nieuw")
    response = client.post("/patienten/nieuw", data={**NEW_PATIENT, "csrf_token": token})
    assert response.status_code == 400
