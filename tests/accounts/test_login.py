"""Login: one message for every failure, lock-out, second factor, session handling."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlmodel import select

from tests.factories import PASSWORD, POLICY, TOTP_SECRET, make_user
from zelfzorg.accounts.models import Role
from zelfzorg.accounts.services import (
    LOGIN_FAILED,
    LoginStep,
    authenticate,
    verify_totp,
)
from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.errors import ValidationError

T0 = datetime(2026, 3, 2, 9, 0, 7, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
FLASH_ERROR = re.compile(r'<p class="flash flash-error"[^>]*>(.*?)</p>', re.S)


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_login(client, email: str, password: str):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )


def flash_error(response) -> str:
    match = FLASH_ERROR.search(response.get_data(as_text=True))
    assert match, "no error message on the page"
    return match.group(1).strip()


def code_at(moment: datetime, secret: str = TOTP_SECRET) -> str:
    return pyotp.TOTP(secret).at(moment)


def logged_in_as(client) -> str | None:
    with client.session_transaction() as sess:
        return sess.get("_user_id")


# --- first factor ----------------------------------------------------------------------------


def test_failure_message_is_identical_for_unknown_account_wrong_password_and_locked_account(
    db, world
):
    messages = []
    with pytest.raises(ValidationError) as unknown:
        authenticate(db, POLICY, email="nobody@example.test", password=PASSWORD, now=T0)
    messages.append(unknown.value.message)
    with pytest.raises(ValidationError) as wrong:
        authenticate(db, POLICY, email=world.patient_user.email, password="wrong-pass", now=T0)
    messages.append(wrong.value.message)
    for _ in range(4):
        with pytest.raises(ValidationError):
            authenticate(db, POLICY, email=world.patient_user.email, password="x", now=T0)
    with pytest.raises(ValidationError) as locked:
        authenticate(db, POLICY, email=world.patient_user.email, password=PASSWORD, now=T0)
    messages.append(locked.value.message)
    assert messages == [LOGIN_FAILED] * 3
    assert all(e.field is None and e.params == {} for e in (unknown.value, locked.value))


def test_login_page_shows_the_same_message_for_unknown_wrong_and_locked(app, world):
    client = app.test_client()
    unknown = post_login(client, "nobody@example.test", PASSWORD)
    wrong = post_login(client, world.patient_user.email, "wrong-password")
    for _ in range(4):
        post_login(client, world.patient_user.email, "wrong-password")
    locked = post_login(client, world.patient_user.email, PASSWORD)
    texts = {flash_error(r) for r in (unknown, wrong, locked)}
    assert {r.status_code for r in (unknown, wrong, locked)} == {200}
    assert len(texts) == 1
    assert texts.pop().startswith("Inloggen is niet gelukt.")
    assert logged_in_as(client) is None


def test_four_failures_do_not_lock_and_a_success_resets_the_count(db, world):
    email = world.patient_user.email
    for _ in range(4):
        with pytest.raises(ValidationError):
            authenticate(db, POLICY, email=email, password="wrong-pass", now=T0)
    assert world.patient_user.failed_logins == 4
    result = authenticate(db, POLICY, email=email, password=PASSWORD, now=T0)
    assert result.next_step == LoginStep.done
    assert world.patient_user.failed_logins == 0
    assert world.patient_user.locked_until is None


def test_five_failures_lock_the_account_for_fifteen_minutes_then_it_unlocks(db, world):
    email = world.patient_user.email
    for i in range(5):
        with pytest.raises(ValidationError):
            authenticate(
                db, POLICY, email=email, password="wrong-pass", now=T0 + timedelta(seconds=i)
            )
    locked_at = T0 + timedelta(seconds=4)
    assert world.patient_user.locked_until == locked_at + timedelta(minutes=15)
    # The right password does not help while locked, and does not extend the lock.
    with pytest.raises(ValidationError) as error:
        authenticate(
            db, POLICY, email=email, password=PASSWORD, now=locked_at + timedelta(minutes=14)
        )
    assert error.value.message == LOGIN_FAILED
    with pytest.raises(ValidationError):
        authenticate(
            db,
            POLICY,
            email=email,
            password=PASSWORD,
            now=locked_at + timedelta(minutes=14, seconds=59),
        )
    assert world.patient_user.locked_until == locked_at + timedelta(minutes=15)
    result = authenticate(
        db, POLICY, email=email, password=PASSWORD, now=locked_at + timedelta(minutes=15)
    )
    assert result.next_step == LoginStep.done
    assert result.user.id == world.patient_user.id


def test_lockout_through_the_login_page_lasts_fifteen_minutes(app, db, world):
    client = app.test_client()
    email = world.patient_user.email
    with time_machine.travel(T0, tick=False) as traveller:
        for _ in range(5):
            post_login(client, email, "wrong-password")
        traveller.shift(timedelta(minutes=14, seconds=59))
        refused = post_login(client, email, PASSWORD)
        assert refused.status_code == 200
        assert flash_error(refused).startswith("Inloggen is niet gelukt.")
        assert logged_in_as(client) is None
        traveller.shift(timedelta(seconds=1))
        accepted = post_login(client, email, PASSWORD)
        # (Inside the frozen time: the signed session cookie expires after an hour.)
        assert logged_in_as(client) == world.patient_user.get_id()
    assert accepted.status_code == 302
    assert accepted.headers["Location"].endswith("/mijn")


def test_failed_logins_are_audited_as_denied(db, world):
    with pytest.raises(ValidationError):
        authenticate(
            db,
            POLICY,
            email=world.poh.email,
            password="wrong-pass",
            client_address="192.0.2.7",
            now=T0,
        )
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.login)).one()
    assert entry.outcome == AuditOutcome.denied
    assert entry.user_id == world.poh.id
    assert entry.client_address == "192.0.2.7"


# --- second factor ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.professional, Role.caregroup, Role.admin])
def test_staff_password_alone_does_not_complete_the_login(db, world, role):
    user = {
        Role.professional: world.poh,
        Role.caregroup: world.caregroup_user,
        Role.admin: world.admin,
    }[role]
    result = authenticate(db, POLICY, email=user.email, password=PASSWORD, now=T0)
    assert result.next_step == LoginStep.totp
    assert user.last_login_at is None
    allowed = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.login, AuditEntry.outcome == AuditOutcome.allowed
        )
    ).all()
    assert allowed == []


@pytest.mark.parametrize("role", [Role.professional, Role.caregroup, Role.admin])
def test_staff_without_totp_must_enrol_first(db, world, role):
    user = make_user(
        db,
        role,
        practice=world.practice if role == Role.professional else None,
        care_group=world.care_group if role == Role.caregroup else None,
        totp=False,
    )
    result = authenticate(db, POLICY, email=user.email, password=PASSWORD, now=T0)
    assert result.next_step == LoginStep.enrol_totp


def test_valid_totp_code_completes_login_and_a_replayed_code_is_refused(db, world):
    user = world.poh
    verify_totp(db, POLICY, user, code_at(T0), now=T0)
    assert user.last_login_at == T0
    assert user.totp_last_counter == int(T0.timestamp()) // 30
    with pytest.raises(ValidationError) as replay:
        verify_totp(db, POLICY, user, code_at(T0), now=T0 + timedelta(seconds=5))
    assert replay.value.field == "code"
    # The next time step's code is accepted.
    verify_totp(
        db, POLICY, user, code_at(T0 + timedelta(seconds=30)), now=T0 + timedelta(seconds=30)
    )


def test_wrong_or_stale_totp_codes_are_refused(db, world):
    user = world.poh
    for code in ("000000", "12345", "abcdef", code_at(T0 - timedelta(seconds=90))):
        with pytest.raises(ValidationError):
            verify_totp(db, POLICY, user, code, now=T0)
    assert user.last_login_at is None
    assert user.failed_logins == 4


def test_five_wrong_totp_codes_lock_the_account(db, world):
    user = world.poh
    for _ in range(5):
        with pytest.raises(ValidationError):
            verify_totp(db, POLICY, user, "000000", now=T0)
    assert user.locked_until == T0 + timedelta(minutes=15)
    with pytest.raises(ValidationError) as locked:
        verify_totp(db, POLICY, user, code_at(T0), now=T0)
    assert locked.value.message == LOGIN_FAILED


def test_professional_needs_the_code_through_the_login_pages(app, world):
    client = app.test_client()
    with time_machine.travel(T0, tick=False):
        first = post_login(client, world.poh.email, PASSWORD)
        assert first.status_code == 302
        assert first.headers["Location"].endswith("/login/totp")
        # Password alone: not logged in.
        assert logged_in_as(client) is None
        assert client.get("/werklijst").status_code == 302
        token = csrf_token(client, "/login/totp")
        wrong = client.post("/login/totp", data={"code": "000000", "csrf_token": token})
        assert wrong.status_code == 200
        assert logged_in_as(client) is None
        done = client.post("/login/totp", data={"code": code_at(T0), "csrf_token": token})
        assert done.status_code == 302
        assert done.headers["Location"].endswith("/werklijst")
        assert client.get("/werklijst").status_code == 200

        # Log out and in again within the same 30 seconds: the same code is refused.
        client.post("/logout", data={"csrf_token": csrf_token(client, "/werklijst")})
        post_login(client, world.poh.email, PASSWORD)
        replay = client.post(
            "/login/totp",
            data={"code": code_at(T0), "csrf_token": csrf_token(client, "/login/totp")},
        )
    assert replay.status_code == 200
    assert "Deze code klopt niet" in replay.get_data(as_text=True)
    assert logged_in_as(client) is None


def test_totp_enrolment_through_the_login_pages(app, db, world):
    user = make_user(db, Role.professional, practice=world.practice, totp=False)
    db.commit()
    client = app.test_client()
    with time_machine.travel(T0, tick=False):
        first = post_login(client, user.email, PASSWORD)
        assert first.headers["Location"].endswith("/login/totp/enrol")
        assert client.get("/login/totp").status_code == 302  # not enrolled: no code page
        page = client.get("/login/totp/enrol").get_data(as_text=True)
        assert 'src="data:image/svg+xml;base64,' in page
        secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)
        # The secret stays the same while enrolment is pending.
        again = client.get("/login/totp/enrol").get_data(as_text=True)
        assert f'<code class="secret">{secret}</code>' in again
        assert logged_in_as(client) is None
        token = CSRF.search(page).group(1)
        wrong = client.post("/login/totp/enrol", data={"code": "000000", "csrf_token": token})
        assert wrong.status_code == 200
        assert logged_in_as(client) is None
        done = client.post(
            "/login/totp/enrol", data={"code": code_at(T0, secret), "csrf_token": token}
        )
        assert logged_in_as(client) == user.get_id()
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/werklijst")
    db.refresh(user)
    db.commit()
    assert user.totp_secret == secret
    assert user.totp_enrolled_at == T0


def test_patient_logs_in_without_a_second_factor(app, world):
    client = app.test_client()
    response = post_login(client, world.patient_user.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/mijn")
    assert logged_in_as(client) == world.patient_user.get_id()
    assert client.get("/mijn").status_code == 200


def test_totp_pages_without_a_pending_login_go_back_to_the_login_page(client):
    for path in ("/login/totp", "/login/totp/enrol"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/login")


# --- session -------------------------------------------------------------------------------


def test_login_starts_a_fresh_session_keeping_only_the_language(app, world):
    client = app.test_client()
    token = csrf_token(client)
    with client.session_transaction() as sess:
        sess["planted"] = "by-an-attacker"
        sess["lang"] = "en"
    response = client.post(
        "/login",
        data={"email": world.patient_user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["lang"] == "en"
        assert sess["_user_id"] == world.patient_user.get_id()
        # A new CSRF token is issued for the new session.
        assert sess.get("csrf_token") != token


def test_pending_second_factor_session_is_fresh_too(app, world):
    client = app.test_client()
    token = csrf_token(client)
    with client.session_transaction() as sess:
        sess["planted"] = "x"
        sess["lang"] = "en"
    client.post(
        "/login", data={"email": world.poh.email, "password": PASSWORD, "csrf_token": token}
    )
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["mfa_pending_user"] == world.poh.id
        assert "_user_id" not in sess
        assert sess["lang"] == "en"  # English chosen on the login page stays for the code
    assert '<html lang="en">' in client.get("/login/totp").text


def test_logout_requires_post(login, world):
    client = login(world.patient_user)
    assert client.get("/logout").status_code == 405
    assert client.get("/mijn").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/mijn")})
    assert response.status_code == 302
    assert logged_in_as(client) is None
    assert client.get("/mijn").status_code == 302


def test_session_cookie_is_httponly_and_samesite_lax(app, world):
    client = app.test_client()
    response = post_login(client, world.patient_user.email, PASSWORD)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
