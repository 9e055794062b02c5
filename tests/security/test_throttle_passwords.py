"""Throttling per address and per account (database-backed, so shared by processes),
password rules, argon2id rehash, HSTS over TLS and the staff idle timeout."""

from __future__ import annotations

import time

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from tests.factories import PASSWORD
from zelfzorg import create_app
from zelfzorg.accounts import services, throttle
from zelfzorg.accounts.models import User
from zelfzorg.accounts.passwords import common_passwords
from zelfzorg.accounts.services import SecurityPolicy, authenticate
from zelfzorg.config import TestConfig

pytestmark = pytest.mark.usefixtures("no_csrf")
ADDRESS = {"REMOTE_ADDR": "198.51.100.7"}
OTHER = {"REMOTE_ADDR": "198.51.100.8"}


def login_post(client, email, password="fout-wachtwoord-123", environ=ADDRESS):
    return client.post("/login", data={"email": email, "password": password}, environ_base=environ)


def test_many_unknown_accounts_from_one_address_are_throttled(app, world):
    client = app.test_client()
    limit = throttle.LIMITS["login"].per_address
    for n in range(limit):
        assert login_post(client, f"onbekend{n}@example.nl").status_code == 200
    refused = login_post(client, "nog-een@example.nl")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"
    assert "Te veel mislukte pogingen" in refused.get_data(as_text=True)
    # The right password from that address is refused too (the address is guessing).
    good = login_post(client, world.patient_user.email, PASSWORD)
    assert good.status_code == 429
    # Another address is not affected.
    assert login_post(client, world.patient_user.email, PASSWORD, OTHER).status_code == 302


def test_one_account_from_many_addresses_is_throttled(app, world):
    client = app.test_client()
    limit = throttle.LIMITS["login"].per_account
    for n in range(limit):
        login_post(client, "doelwit@example.nl", environ={"REMOTE_ADDR": f"203.0.113.{n}"})
    refused = login_post(client, "DOELWIT@example.nl ", environ={"REMOTE_ADDR": "203.0.113.99"})
    assert refused.status_code == 429


def test_the_limit_holds_across_app_processes(app, database_url, world):
    """Two apps on one database (as two gunicorn workers): the counts are shared."""

    class Config(TestConfig):
        DATABASE_URL = database_url
        WTF_CSRF_ENABLED = False

    other_app = create_app(Config)
    try:
        first, second = app.test_client(), other_app.test_client()
        limit = throttle.LIMITS["login"].per_address
        for n in range(limit):
            client = first if n % 2 else second
            login_post(client, f"wissel{n}@example.nl")
        assert login_post(first, "x@example.nl").status_code == 429
        assert login_post(second, "y@example.nl").status_code == 429
    finally:
        other_app.extensions["zelfzorg_engine"].dispose()


def test_wrong_activation_codes_are_throttled(app, world):
    client = app.test_client()
    limit = throttle.LIMITS["activate"].per_address
    data = {"password": "een-lang-wachtwoord-2026"}
    for n in range(limit):
        response = client.post(
            "/activeren",
            data=data | {"code": f"FOUT{n:04d}", "email": f"nieuw{n}@example.nl"},
            environ_base=ADDRESS,
        )
        assert response.status_code == 400
    refused = client.post(
        "/activeren",
        data=data | {"code": "FOUT9999", "email": "ander@example.nl"},
        environ_base=ADDRESS,
    )
    assert refused.status_code == 429


def test_wrong_second_factor_codes_are_throttled(app, db, world):
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["mfa_pending_user"] = world.poh.id
        sess["mfa_pending_at"] = int(time.time())
    world.poh.totp_secret = pyotp.random_base32()
    world.poh.totp_enrolled_at = world.poh.created_at
    db.add(world.poh)
    db.commit()
    limit = throttle.LIMITS["totp"].per_account
    for _ in range(limit):
        response = client.post("/login/totp", data={"code": "000000"}, environ_base=ADDRESS)
        assert response.status_code == 200
    assert client.post("/login/totp", data={"code": "000000"}).status_code == 429


# --- passwords -------------------------------------------------------------------------------
def _new_staff(client, password):
    return client.post(
        "/beheer/gebruikers/nieuw",
        data={
            "name": "Nieuwe POH",
            "email": "nieuw-poh@example.nl",
            "role": "admin",
            "discipline": "",
            "practice_id": "0",
            "care_group_id": "0",
            "password": password,
        },
    )


def test_the_bundled_list_is_the_common_passwords():
    common = common_passwords()
    assert len(common) > 19_000
    assert {"123456", "password", "qwerty"} <= common


@pytest.mark.parametrize(
    "weak", ["aaaaaaaaaa", "password123", "qwertyuiop", "1234567890", "abcdefghij"]
)
def test_weak_staff_passwords_are_refused(world, login, weak):
    response = _new_staff(login(world.admin), weak)
    assert response.status_code == 400
    assert "veel gebruikt" in response.get_data(as_text=True)


@pytest.mark.parametrize("length", [64, 150])
def test_long_passphrases_are_allowed(db, world, login, length):
    phrase = ("groene fiets onder de brug " * 10)[:length]
    response = _new_staff(login(world.admin), phrase)
    assert response.status_code == 302
    assert db.exec(select(User).where(User.email == "nieuw-poh@example.nl")).one()


def test_login_rehashes_a_password_made_with_weaker_parameters(db, world):
    weak = SecurityPolicy(argon2_time_cost=1, argon2_memory_cost=1024)
    strong = SecurityPolicy(argon2_time_cost=2, argon2_memory_cost=2048)
    user = world.patient_user
    user.password_hash = services.hash_password(weak, PASSWORD)
    db.add(user)
    db.commit()
    authenticate(db, strong, email=user.email, password=PASSWORD)
    params = PasswordHasher().check_needs_rehash
    assert user.password_hash.startswith("$argon2id$")
    assert "m=2048,t=2" in user.password_hash
    assert not strong.hasher().check_needs_rehash(user.password_hash)
    assert params  # the default hasher is argon2id too


# --- transport and sessions --------------------------------------------------------------------
def test_hsts_only_over_tls(client):
    assert "Strict-Transport-Security" in client.get("/login", base_url="https://localhost").headers
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_staff_are_logged_out_after_thirty_idle_minutes(app, world, login):
    staff = login(world.poh)
    assert staff.get("/werklijst").status_code == 200
    with staff.session_transaction() as sess:
        sess["seen_at"] = int(time.time()) - app.config["STAFF_IDLE_SECONDS"] - 1
    response = staff.get("/werklijst")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_patients_keep_their_session_for_the_session_lifetime(app, world, login):
    patient = login(world.patient_user)
    with patient.session_transaction() as sess:
        sess["seen_at"] = int(time.time()) - app.config["STAFF_IDLE_SECONDS"] - 1
    assert patient.get("/mijn").status_code == 200


def test_old_hits_are_pruned_and_no_longer_count(db, world):

    from zelfzorg.accounts.models import ThrottleHit
    from zelfzorg.models_base import utcnow

    now = utcnow()
    limit = throttle.LIMITS["login"]
    for _ in range(limit.per_address):
        throttle.record_failure(
            db, "login", address="192.0.2.1", account="a@b.nl", now=now - limit.window
        )
    db.commit()
    assert not throttle.blocked(db, "login", address="192.0.2.1", account="x@y.nl", now=now)
    assert throttle.prune(db, now) == 2 * limit.per_address
    db.commit()
    assert db.exec(select(ThrottleHit)).all() == []
