"""Back in after a forgotten password: reset codes from the practice or an administrator,
reset links by e-mail (only with the outbox on), single use, expiry, throttling."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from tests.accounts.test_login import csrf_token, post_login
from tests.factories import PASSWORD, POLICY, make_patient
from zelfzorg.accounts import resets, throttle
from zelfzorg.accounts.models import PasswordReset, User
from zelfzorg.accounts.services import authenticate
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import Forbidden, NotFound, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.notifications.models import OutboxEmail

NEW = "Herfst-fietstocht-door-de-Betuwe-2026"
FLASH = re.compile(r'<p class="flash flash-\w+"[^>]*>(.*?)</p>', re.S)


def _reset(db, code, password=NEW, now=None):
    return resets.reset_with_code(db, POLICY, code=code, password=password, now=now or utcnow())


def _logs_in(db, user, password) -> bool:
    try:
        authenticate(db, POLICY, email=user.email, password=password)
    except ValidationError:
        return False
    return True


def test_the_practice_gives_a_patient_a_code_that_works_once(db, world):
    code, row = resets.issue_patient_code(
        db, world.actor(world.poh), world.patient.id, now=utcnow()
    )
    assert row.token_hash != code and code not in row.token_hash  # only the hash is kept
    old_nonce = world.patient_user.session_nonce
    user = _reset(db, code.lower().replace("-", " "))  # typed as heard over the phone
    assert user.id == world.patient_user.id
    assert user.session_nonce != old_nonce  # every old session ends
    assert _logs_in(db, user, NEW) and not _logs_in(db, user, PASSWORD)
    with pytest.raises(ValidationError) as caught:
        _reset(db, code, password="Nog-een-ander-wachtwoord-2026")
    assert caught.value.message == resets.RESET_FAILED
    assert _logs_in(db, user, NEW)
    entry = db.exec(select(AuditEntry).where(AuditEntry.detail == "password reset by code")).one()
    assert (entry.patient_id, entry.user_id) == (world.patient.id, world.patient_user.id)


def test_an_expired_or_replaced_code_does_not_work(db, world):
    poh = world.actor(world.poh)
    first, _ = resets.issue_patient_code(db, poh, world.patient.id, now=utcnow())
    second, row = resets.issue_patient_code(db, poh, world.patient.id, now=utcnow())
    with pytest.raises(ValidationError):
        _reset(db, first)  # replaced by the newer code
    with pytest.raises(ValidationError):
        _reset(db, second, now=row.expires_at + timedelta(seconds=1))
    assert _logs_in(db, world.patient_user, PASSWORD)  # nothing changed


def test_a_weak_password_is_refused_and_the_code_stays_usable(db, world):
    code, _ = resets.issue_patient_code(db, world.actor(world.poh), world.patient.id, now=utcnow())
    with pytest.raises(ValidationError) as caught:
        _reset(db, code, password="kort")
    assert caught.value.field == "password"
    assert _reset(db, code).id == world.patient_user.id


def test_only_the_patients_own_practice_makes_a_code(db, world):
    with pytest.raises(NotFound):
        resets.issue_patient_code(db, world.actor(world.other_poh), world.patient.id, now=utcnow())
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "PasswordReset", AuditEntry.user_id == world.other_poh.id
        )
    ).one()
    assert (denied.outcome, denied.patient_id) == (AuditOutcome.denied, world.patient.id)
    for persona in ("caregroup_user", "admin", "patient_user"):
        with pytest.raises(Forbidden):
            resets.issue_patient_code(
                db, world.actor(getattr(world, persona)), world.patient.id, now=utcnow()
            )
    assert db.exec(select(func.count()).select_from(PasswordReset)).one() == 0


def test_a_patient_without_account_gets_an_activation_code_instead(db, world):
    patient = make_patient(db, world.practice)
    with pytest.raises(ValidationError, match="activatiecode"):
        resets.issue_patient_code(db, world.actor(world.poh), patient.id, now=utcnow())


def test_an_admin_gives_staff_a_code_keeping_or_resetting_the_second_factor(db, world):
    admin = world.actor(world.admin)
    code, _ = resets.issue_staff_code(db, admin, world.poh.id, with_totp=False, now=utcnow())
    _reset(db, code)
    db.expire_all()
    assert db.get(User, world.poh.id).totp_enrolled_at is not None  # kept
    code, _ = resets.issue_staff_code(db, admin, world.other_poh.id, with_totp=True, now=utcnow())
    db.expire_all()
    assert db.get(User, world.other_poh.id).totp_secret is None  # enrols again at next login
    with pytest.raises(Forbidden):
        resets.issue_staff_code(
            db, world.actor(world.poh), world.other_poh.id, with_totp=False, now=utcnow()
        )
    with pytest.raises(NotFound):  # patients get theirs from the practice
        resets.issue_staff_code(db, admin, world.patient_user.id, with_totp=False, now=utcnow())


def test_a_deactivated_account_cannot_be_reset(db, world):
    code, _ = resets.issue_patient_code(db, world.actor(world.poh), world.patient.id, now=utcnow())
    world.patient_user.is_active = False
    db.add(world.patient_user)
    db.flush()
    with pytest.raises(ValidationError):
        _reset(db, code)


# --- e-mail links -----------------------------------------------------------------------------


def _mail(user, token):
    return "Nieuw wachtwoord", f"https://zelfzorg.test/wachtwoord-herstellen/{token}"


def test_a_link_is_queued_only_for_an_existing_account_and_works_once(db, world):
    assert (
        resets.request_link(db, email="niemand@example.test", make_message=_mail, now=utcnow())
        is None
    )
    assert db.exec(select(OutboxEmail)).all() == []
    token = resets.request_link(
        db, email=world.patient_user.email.upper(), make_message=_mail, now=utcnow()
    )
    (mail,) = db.exec(select(OutboxEmail)).all()
    assert mail.to_address == world.patient_user.email and token in mail.body
    row = db.exec(select(PasswordReset).where(PasswordReset.kind == "email")).one()
    assert token not in row.token_hash and row.expires_at - row.created_at == timedelta(hours=1)
    resets.reset_with_link(db, POLICY, token=token, password=NEW, now=utcnow())
    with pytest.raises(NotFound):
        resets.reset_with_link(db, POLICY, token=token, password=NEW, now=utcnow())
    assert _logs_in(db, world.patient_user, NEW)


def test_an_expired_link_does_not_work(db, world):
    token = resets.request_link(db, email=world.poh.email, make_message=_mail, now=utcnow())
    later = utcnow() + timedelta(hours=1, minutes=1)
    assert not resets.link_is_valid(db, token, now=later)
    with pytest.raises(NotFound):
        resets.reset_with_link(db, POLICY, token=token, password=NEW, now=later)
    assert _logs_in(db, world.poh, PASSWORD)


@pytest.fixture()
def outbox(app):
    app.config.update(MAIL_OUTBOX=True, PUBLIC_BASE_URL="https://zelfzorg.example.nl/")
    yield
    app.config.update(MAIL_OUTBOX=False, PUBLIC_BASE_URL="")


def _ask(client, email, host="localhost"):
    base = f"http://{host}"
    page = client.get("/wachtwoord-vergeten", base_url=base).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post(
        "/wachtwoord-vergeten",
        data={"email": email, "csrf_token": token},
        base_url=base,
        follow_redirects=True,
    )


def test_the_answer_does_not_reveal_whether_an_account_exists(app, db, world, outbox):
    known = _ask(app.test_client(), world.patient_user.email, host="evil.example")
    unknown = _ask(app.test_client(), "niemand@example.test")
    assert known.status_code == unknown.status_code == 200
    assert FLASH.findall(known.text) == FLASH.findall(unknown.text)
    assert "Als er een account met dit e-mailadres is" in known.text
    db.expire_all()
    (mail,) = db.exec(select(OutboxEmail)).all()
    assert mail.to_address == world.patient_user.email
    # Built on the configured address, whatever Host header the request had.
    link = re.search(r"https://zelfzorg\.example\.nl(/wachtwoord-herstellen/\S+)", mail.body).group(
        1
    )
    db.commit()  # end the read transaction before the requests write
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200
    done = client.post(link, data={"password": NEW, "csrf_token": csrf_token(client, link)})
    assert "Uw nieuwe wachtwoord is ingesteld" in done.text
    assert client.get(link).status_code == 404  # used
    assert post_login(app.test_client(), world.patient_user.email, NEW).status_code == 302


def test_reset_mails_are_throttled_per_address_whether_found_or_not(app, db, world, outbox):
    limit = throttle.LIMITS["reset_mail"].per_account
    client = app.test_client()
    for _ in range(limit):
        assert _ask(client, world.patient_user.email).status_code == 200
    assert _ask(client, world.patient_user.email).status_code == 429
    assert _ask(client, "niemand@example.test").status_code == 200  # another address
    db.expire_all()
    assert len(db.exec(select(OutboxEmail)).all()) == limit
    db.commit()


@pytest.mark.parametrize("config", [{}, {"MAIL_OUTBOX": True}])
def test_without_the_outbox_the_page_says_to_ask_the_practice(app, db, world, config):
    app.config.update(config)  # the outbox without a public address sends nothing either
    client = app.test_client()
    page = client.get("/wachtwoord-vergeten")
    assert "Bel of mail uw praktijk" in page.text and 'name="email"' not in page.text
    token = csrf_token(client, "/wachtwoord-vergeten")
    client.post(
        "/wachtwoord-vergeten", data={"email": world.patient_user.email, "csrf_token": token}
    )
    app.config["MAIL_OUTBOX"] = False
    db.expire_all()
    assert db.exec(select(OutboxEmail)).all() == []


# --- HTTP: code flow ----------------------------------------------------------------------------


def test_poh_issues_a_code_and_the_patient_sets_a_new_password(app, db, world, login):
    poh = login(world.poh)
    page = f"/patienten/{world.patient.id}"
    response = poh.post(f"{page}/herstelcode", data={"csrf_token": csrf_token(poh, page)})
    assert response.status_code == 302
    shown = poh.get(page).text
    code = re.search(r'<strong class="code">([A-Z0-9-]+)</strong>', shown).group(1)
    assert code not in poh.get(page).text  # shown once
    patient_session = login(world.patient_user)
    client = app.test_client()
    done = client.post(
        "/wachtwoord-herstellen",
        data={
            "code": code,
            "password": NEW,
            "csrf_token": csrf_token(client, "/wachtwoord-herstellen"),
        },
    )
    assert done.status_code == 200 and world.patient_user.email in done.text
    assert patient_session.get("/mijn").status_code == 302  # the old session ended
    again = client.post(
        "/wachtwoord-herstellen",
        data={
            "code": code,
            "password": NEW,
            "csrf_token": csrf_token(client, "/wachtwoord-herstellen"),
        },
    )
    assert again.status_code == 400 and "niet geldig" in again.text


def test_wrong_codes_are_throttled_per_address(app, db, world):
    client = app.test_client()
    limit = throttle.LIMITS["reset"].per_address
    for n in range(limit):
        response = client.post(
            "/wachtwoord-herstellen",
            data={
                "code": f"AAAA-BBBB-{n:04d}",
                "password": NEW,
                "csrf_token": csrf_token(client, "/wachtwoord-herstellen"),
            },
        )
        assert response.status_code == 400
    code, _ = resets.issue_patient_code(db, world.actor(world.poh), world.patient.id, now=utcnow())
    db.commit()
    blocked = client.post(
        "/wachtwoord-herstellen",
        data={
            "code": code,
            "password": NEW,
            "csrf_token": csrf_token(client, "/wachtwoord-herstellen"),
        },
    )
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "900"
    assert _logs_in(db, world.patient_user, PASSWORD)


def test_another_practice_gets_404_audited_on_the_reset_code(app, db, world, login, no_csrf):
    response = login(world.other_poh).post(f"/patienten/{world.patient.id}/herstelcode")
    assert response.status_code == 404
    db.expire_all()
    denied = db.exec(
        select(AuditEntry).where(
            AuditEntry.object_type == "PasswordReset", AuditEntry.outcome == AuditOutcome.denied
        )
    ).one()
    assert denied.patient_id == world.patient.id
    assert db.exec(select(PasswordReset)).all() == []


def test_admin_page_shows_a_staff_code_once(app, db, world, login):
    admin = login(world.admin)
    page = f"/beheer/gebruikers/{world.poh.id}"
    admin.post(
        f"{page}/herstelcode", data={"csrf_token": csrf_token(admin, page), "reset_totp": "y"}
    )
    text = admin.get(page).text
    code = re.search(r'<strong class="code">([A-Z0-9-]+)</strong>', text).group(1)
    db.expire_all()
    assert db.get(User, world.poh.id).totp_secret is None
    assert (
        resets.reset_with_code(db, POLICY, code=code, password=NEW, now=utcnow()).id == world.poh.id
    )


def test_reset_mail_hits_are_kept_for_their_own_longer_window(db):
    now = utcnow()
    old = now - timedelta(minutes=20)
    throttle.record_failure(db, "reset_mail", address="192.0.2.9", account="a@b.nl", now=old)
    throttle.record_failure(db, "login", address="192.0.2.9", account="a@b.nl", now=old)
    assert throttle.prune(db, now) == 2  # the two login hits
    assert (
        throttle.blocked(db, "reset_mail", address="192.0.2.9", account="a@b.nl", now=now) is False
    )
    for _ in range(2):
        throttle.record_failure(db, "reset_mail", address="192.0.2.9", account="a@b.nl", now=now)
    # The hit of 20 minutes ago still counts: 3 in the hour.
    assert throttle.blocked(db, "reset_mail", address="192.0.2.9", account="a@b.nl", now=now)
