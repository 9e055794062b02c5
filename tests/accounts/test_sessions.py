"""Sessions end when they should: logout everywhere, an absolute age, a pending second factor
that expires; and no known secret signs cookies."""

from __future__ import annotations

import time

import time_machine

from tests.accounts.test_login import PASSWORD, csrf_token, post_login
from zelfzorg.config import instance_secret


def test_logout_ends_the_session_everywhere(app, world, login):
    stolen = login(world.patient_user)  # a copy of the same session cookie
    client = app.test_client()
    with stolen.session_transaction() as original, client.session_transaction() as copy:
        copy.update(dict(original))
    assert client.get("/mijn").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/mijn")})
    assert stolen.get("/mijn").status_code == 302  # the copied cookie no longer works


def test_a_session_ends_after_twelve_hours_however_active(world, login):
    client = login(world.patient_user)
    assert client.get("/mijn").status_code == 200
    with time_machine.travel(time.time() + 12 * 3600 + 60, tick=False):
        assert client.get("/mijn").status_code == 302


def test_the_second_factor_must_follow_the_password_within_five_minutes(app, world):
    client = app.test_client()
    assert post_login(client, world.poh.email, PASSWORD).headers["Location"].endswith("/totp")
    assert client.get("/login/totp").status_code == 200
    with time_machine.travel(time.time() + 6 * 60, tick=False):
        response = client.get("/login/totp")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")


def test_without_a_configured_secret_each_installation_makes_its_own(tmp_path):
    first = instance_secret(tmp_path / "secret_key")
    assert len(first) == 64 and instance_secret(tmp_path / "secret_key") == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert instance_secret(tmp_path / "other") != first
