"""Administrators edit, deactivate and reactivate staff accounts."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.accounts.test_login import csrf_token
from tests.factories import make_user
from zelfzorg.accounts import tokens
from zelfzorg.accounts.admin_users import (
    UserInput,
    deactivate_user,
    reactivate_user,
    update_user,
)
from zelfzorg.accounts.models import ApiToken, Discipline, PracticeMembership, Role, User
from zelfzorg.audit.models import AuditEntry, AuditOutcome
from zelfzorg.errors import Conflict, Forbidden, NotFound, ValidationError
from zelfzorg.models_base import utcnow


def _edit(user: User, world, **changes) -> UserInput:
    values = {
        "name": user.name,
        "email": user.email,
        "role": str(user.role),
        "discipline": str(user.discipline) if user.discipline else None,
        "practice_id": user.practice_id,
        "care_group_id": user.care_group_id,
    }
    values.update(changes)
    return UserInput(**values)


def _entries(db, user_id: int) -> list[AuditEntry]:
    return list(
        db.exec(
            select(AuditEntry)
            .where(AuditEntry.object_type == "User", AuditEntry.object_id == str(user_id))
            .order_by(AuditEntry.id)
        ).all()
    )


def test_admin_edits_name_email_role_and_practice(db, world):
    admin = world.actor(world.admin)
    target = world.other_poh
    old_nonce = target.session_nonce
    update_user(
        db,
        admin,
        target.id,
        _edit(
            target,
            world,
            name=" Ricardo Jansen ",
            email="R.Jansen@Example.test",
            discipline="gp",
            practice_id=world.practice.id,
        ),
        version=1,
    )
    db.expire_all()
    saved = db.get(User, target.id)
    assert (saved.name, saved.email, saved.discipline, saved.practice_id, saved.version) == (
        "Ricardo Jansen",
        "r.jansen@example.test",
        Discipline.gp,
        world.practice.id,
        2,
    )
    assert saved.session_nonce != old_nonce  # a new practice: old sessions end
    (entry,) = _entries(db, target.id)
    assert entry.outcome == AuditOutcome.allowed
    assert entry.detail == "changed discipline,email,name,practice_id"

    # Care-group staff now: no practice, no discipline, no extra practices.
    db.add(PracticeMembership(user_id=target.id, practice_id=world.other_practice.id))
    db.flush()
    update_user(
        db,
        admin,
        target.id,
        _edit(saved, world, role="caregroup", care_group_id=world.care_group.id),
        version=2,
    )
    db.expire_all()
    saved = db.get(User, target.id)
    assert (saved.role, saved.practice_id, saved.discipline, saved.care_group_id) == (
        Role.caregroup,
        None,
        None,
        world.care_group.id,
    )
    assert (
        db.exec(select(PracticeMembership).where(PracticeMembership.user_id == target.id)).all()
        == []
    )


def test_a_new_home_practice_keeps_only_extra_practices_of_its_care_group(db, world):
    from tests.factories import make_care_group, make_practice

    elsewhere = make_practice(db, make_care_group(db))
    third = make_practice(db, world.care_group)
    target = world.other_poh  # home: world.other_practice
    for practice in (world.practice, third):
        db.add(PracticeMembership(user_id=target.id, practice_id=practice.id))
    db.flush()
    update_user(
        db,
        world.actor(world.admin),
        target.id,
        _edit(target, world, practice_id=world.practice.id),
        version=1,
    )
    kept = db.exec(
        select(PracticeMembership.practice_id).where(PracticeMembership.user_id == target.id)
    ).all()
    assert kept == [third.id]  # the new home is no extra practice
    update_user(
        db,
        world.actor(world.admin),
        target.id,
        _edit(db.get(User, target.id), world, practice_id=elsewhere.id),
        version=2,
    )
    assert (
        db.exec(select(PracticeMembership).where(PracticeMembership.user_id == target.id)).all()
        == []
    )


def test_a_stale_edit_is_refused_and_changes_nothing(db, world):
    admin = world.actor(world.admin)
    target = world.other_poh
    update_user(db, admin, target.id, _edit(target, world, name="Eerste"), version=1)
    with pytest.raises(Conflict) as caught:
        update_user(db, admin, target.id, _edit(target, world, name="Tweede"), version=1)
    assert caught.value.current.name == "Eerste"
    db.expire_all()
    assert (db.get(User, target.id).name, db.get(User, target.id).version) == ("Eerste", 2)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"email": "geen-adres"}, "email"),
        ({"role": "patient"}, "role"),
        ({"role": "baas"}, "role"),
        ({"discipline": "tovenaar"}, "discipline"),
        ({"practice_id": None}, "practice_id"),
        ({"practice_id": 999999}, "practice_id"),
        ({"role": "caregroup", "care_group_id": None}, "care_group_id"),
    ],
)
def test_bad_input_is_refused_with_a_field_and_changes_nothing(db, world, changes, field):
    target = world.other_poh
    with pytest.raises(ValidationError) as caught:
        update_user(
            db, world.actor(world.admin), target.id, _edit(target, world, **changes), version=1
        )
    assert caught.value.field == field
    db.expire_all()
    saved = db.get(User, target.id)
    assert (saved.name, saved.role, saved.version) == ("Ricardo POH", Role.professional, 1)


def test_an_e_mail_address_in_use_is_refused(db, world):
    target = world.other_poh
    with pytest.raises(ValidationError) as caught:
        update_user(
            db,
            world.actor(world.admin),
            target.id,
            _edit(target, world, email=world.poh.email),
            version=1,
        )
    assert caught.value.field == "email"


@pytest.mark.parametrize("persona", ["poh", "caregroup_user", "patient_user"])
def test_only_admins_manage_accounts(db, world, persona):
    actor = world.actor(getattr(world, persona))
    with pytest.raises(Forbidden):
        update_user(
            db, actor, world.other_poh.id, _edit(world.other_poh, world, name="X"), version=1
        )
    with pytest.raises(Forbidden):
        deactivate_user(db, actor, world.other_poh.id, now=utcnow())
    db.expire_all()
    assert db.get(User, world.other_poh.id).is_active


def test_patient_accounts_are_not_managed_here(db, world):
    with pytest.raises(NotFound):
        deactivate_user(db, world.actor(world.admin), world.patient_user.id, now=utcnow())
    denied = _entries(db, world.patient_user.id)
    assert [e.outcome for e in denied] == [AuditOutcome.denied]


def test_deactivation_revokes_api_tokens_and_reactivation_restores_login(db, world):
    poh = world.actor(world.poh)
    token, row = tokens.create_api_token(db, poh, label="app", scopes=["user/*.read"], now=utcnow())
    old_nonce = world.poh.session_nonce
    deactivate_user(db, world.actor(world.admin), world.poh.id, now=utcnow())
    db.expire_all()
    user = db.get(User, world.poh.id)
    assert not user.is_active and user.deactivated_at is not None
    assert user.session_nonce != old_nonce
    assert db.get(ApiToken, row.id).revoked_at is not None
    with pytest.raises(ValidationError):
        deactivate_user(db, world.actor(world.admin), world.poh.id, now=utcnow())
    reactivate_user(db, world.actor(world.admin), world.poh.id)
    db.expire_all()
    user = db.get(User, world.poh.id)
    assert user.is_active and user.deactivated_at is None
    assert db.get(ApiToken, row.id).revoked_at is not None  # a revoked token stays revoked
    details = [e.detail for e in _entries(db, world.poh.id)]
    assert details == ["deactivated; sessions ended; 1 api tokens revoked", "reactivated"]


def test_nobody_deactivates_themselves(db, world):
    admin = world.actor(world.admin)
    with pytest.raises(ValidationError, match="eigen account"):
        deactivate_user(db, admin, world.admin.id, now=utcnow())
    with pytest.raises(ValidationError, match="eigen beheerdersrol"):
        update_user(
            db,
            admin,
            world.admin.id,
            _edit(world.admin, world, role="caregroup", care_group_id=world.care_group.id),
            version=1,
        )
    db.expire_all()
    saved = db.get(User, world.admin.id)
    assert saved.is_active and saved.role == Role.admin


def test_the_last_active_admin_stays(db, world):
    # Two admins deactivating each other at once: the second finds the other is the last.
    other = make_user(db, Role.admin)
    deactivate_user(db, world.actor(world.admin), other.id, now=utcnow())
    stale_other = world.actor(other)
    with pytest.raises(ValidationError, match="laatste actieve beheerder"):
        deactivate_user(db, stale_other, world.admin.id, now=utcnow())
    with pytest.raises(ValidationError, match="laatste actieve beheerder"):
        update_user(
            db,
            stale_other,
            world.admin.id,
            _edit(world.admin, world, role="caregroup", care_group_id=world.care_group.id),
            version=1,
        )
    db.expire_all()
    assert db.get(User, world.admin.id).is_active


# --- HTTP -------------------------------------------------------------------------------------


def test_deactivation_ends_the_users_session_at_once(db, world, login):
    poh_client = login(world.poh)
    assert poh_client.get("/werklijst").status_code == 200
    admin = login(world.admin)
    page = f"/beheer/gebruikers/{world.poh.id}"
    assert world.poh.name in admin.get(page).text
    response = admin.post(f"{page}/uitschakelen", data={"csrf_token": csrf_token(admin, page)})
    assert response.status_code == 302
    assert "overal uitgelogd" in admin.get(page).text
    ended = poh_client.get("/werklijst")
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]


def test_deactivation_without_csrf_token_changes_nothing(db, world, login):
    response = login(world.admin).post(f"/beheer/gebruikers/{world.poh.id}/uitschakelen")
    assert response.status_code == 400
    db.expire_all()
    assert db.get(User, world.poh.id).is_active


def test_the_admins_own_page_offers_no_deactivation(world, login):
    page = login(world.admin).get(f"/beheer/gebruikers/{world.admin.id}").text
    assert "Uw eigen account kunt u niet uitschakelen." in page
    assert "/uitschakelen" not in page


def test_edit_form_shows_a_clear_message_on_bad_input_and_saves_nothing(db, world, login):
    admin = login(world.admin)
    page = f"/beheer/gebruikers/{world.other_poh.id}"
    response = admin.post(
        page,
        data={
            "csrf_token": csrf_token(admin, page),
            "name": "Nieuwe Naam",
            "email": "geen-adres",
            "role": "professional",
            "discipline": "poh",
            "practice_id": str(world.other_practice.id),
            "care_group_id": "0",
            "version": "1",
        },
    )
    assert response.status_code == 400
    assert "Vul een geldig e-mailadres in." in response.text
    db.expire_all()
    assert db.get(User, world.other_poh.id).name == "Ricardo POH"


def test_a_stale_edit_form_keeps_what_was_typed(db, world, login):
    admin = login(world.admin)
    page = f"/beheer/gebruikers/{world.other_poh.id}"
    update_user(
        db,
        world.actor(world.admin),
        world.other_poh.id,
        _edit(world.other_poh, world, name="Eerder"),
        version=1,
    )
    db.commit()
    response = admin.post(
        page,
        data={
            "csrf_token": csrf_token(admin, page),
            "name": "Later",
            "email": world.other_poh.email,
            "role": "professional",
            "discipline": "poh",
            "practice_id": str(world.other_practice.id),
            "care_group_id": "0",
            "version": "1",
        },
    )
    assert response.status_code == 409
    assert 'value="Later"' in response.text and "intussen gewijzigd" in response.text
    db.expire_all()
    assert db.get(User, world.other_poh.id).name == "Eerder"


@pytest.mark.parametrize("persona", ["poh", "caregroup_user", "patient_user"])
def test_other_roles_get_403_on_the_user_pages(world, login, no_csrf, persona):
    client = login(getattr(world, persona))
    assert client.get(f"/beheer/gebruikers/{world.other_poh.id}").status_code == 403
    assert client.post(f"/beheer/gebruikers/{world.other_poh.id}/uitschakelen").status_code == 403
    assert client.post(f"/beheer/gebruikers/{world.other_poh.id}/herstelcode").status_code == 403


def test_a_patients_account_id_is_404_on_the_user_page(world, login):
    assert login(world.admin).get(f"/beheer/gebruikers/{world.patient_user.id}").status_code == 404
