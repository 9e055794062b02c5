from tests.access import EVERYONE_LOGGED_IN, PUBLIC, Rule
from tests.factories import POLICY, make_patient, make_user
from zelfzorg.accounts import resets
from zelfzorg.accounts.models import Role, User
from zelfzorg.accounts.services import create_activation_code
from zelfzorg.models_base import utcnow


def _activation(w, db, params) -> dict:
    """A valid activation: a new patient of the practice with a fresh code."""
    patient = make_patient(db, w.practice)
    code, _row = create_activation_code(db, POLICY, w.actor(w.poh), patient.id)
    return {
        "code": code,
        "email": f"nieuw{patient.id}@example.test",
        "password": "Zomer-wandeling-langs-de-Maas-2026",
    }


def _new_care_group(w, db, params) -> dict:
    return {"name": f"Zorggroep {make_patient(db, w.practice).id}"}


def _new_practice(w, db, params) -> dict:
    return {"care_group_id": str(w.care_group.id), "name": "Praktijk Oost", "city": "Delft"}


def _edit_practice(w, db, params) -> dict:
    db.refresh(w.other_practice)
    return {
        "name": "Waalkade",
        "phone": "0418 12 34 56",
        "version": str(w.other_practice.version),
    }


def _new_user(w, db, params) -> dict:
    n = make_patient(db, w.practice).id  # a unique number for the e-mail address
    return {
        "name": "Nieuwe POH",
        "email": f"poh{n}@example.test",
        "role": "professional",
        "discipline": "poh",
        "practice_id": str(w.practice.id),
        "care_group_id": "0",
        "password": "Tijdelijk-wachtwoord-voor-de-POH-2026",
    }


RULES = {
    # The start page sends anonymous visitors to the login page.
    "accounts.index": Rule(EVERYONE_LOGGED_IN),
    "accounts.login": Rule(PUBLIC),
    # Second-factor pages need a pending first factor: without one, back to the login page.
    "accounts.totp": Rule(EVERYONE_LOGGED_IN),
    "accounts.totp_enrol": Rule(EVERYONE_LOGGED_IN),
    "accounts.logout": Rule(EVERYONE_LOGGED_IN),
    "accounts.activate": Rule(PUBLIC, data=_activation),
    "accounts.set_language": Rule(PUBLIC, data={"lang": "en"}),
    "accounts.caregroup_home": Rule(frozenset({"caregroup"})),
    "accounts.admin_home": Rule(frozenset({"admin"})),
    "accounts.admin_new_care_group": Rule(frozenset({"admin"}), data=_new_care_group),
    "accounts.admin_new_practice": Rule(frozenset({"admin"}), data=_new_practice),
    "accounts.admin_new_user": Rule(frozenset({"admin"}), data=_new_user),
    "accounts.admin_edit_practice": Rule(
        frozenset({"admin"}),
        params=lambda w, db: {"practice_id": w.other_practice.id},
        data=_edit_practice,
    ),
    "accounts.admin_reset_totp": Rule(
        frozenset({"admin"}), params=lambda w, db: {"user_id": w.other_poh.id}
    ),
    "accounts.admin_memberships": Rule(
        frozenset({"admin"}), params=lambda w, db: {"user_id": w.other_poh.id}
    ),
    # Without data: 400 with a message for the admin (the valid add is in test_memberships.py).
    "accounts.admin_add_membership": Rule(
        frozenset({"admin"}),
        params=lambda w, db: {"user_id": w.other_poh.id},
        data=lambda w, db, params: {"practice_id": str(w.practice.id)},
    ),
    "accounts.admin_remove_membership": Rule(
        frozenset({"admin"}),
        params=lambda w, db: {"user_id": w.other_poh.id, "practice_id": w.practice.id},
    ),
    "notifications.index": Rule(EVERYONE_LOGGED_IN),
    "notifications.mark_read": Rule(EVERYONE_LOGGED_IN),
    "worklist.index": Rule(frozenset({"professional", "professional_other"})),
}


# --- everyday account features ----------------------------------------------------------------
NEW_PASSWORD = "Herfst-fietstocht-door-de-Betuwe-2026"


def _fresh_staff(w, db) -> dict:
    """A new professional of the practice (deactivating or editing it leaves the world as is)."""
    return {"user_id": make_user(db, Role.professional, practice=w.practice).id}


def _deactivated_staff(w, db) -> dict:
    user = make_user(db, Role.professional, practice=w.practice)
    user.is_active = False
    db.add(user)
    db.flush()
    return {"user_id": user.id}


def _user_edit(w, db, params) -> dict:
    user = db.get(User, params["user_id"])
    db.refresh(user)
    return {
        "name": "Andere Naam",
        "email": user.email,
        "role": "professional",
        "discipline": "gp",
        "practice_id": str(w.practice.id),
        "care_group_id": "0",
        "version": str(user.version),
    }


def _patient_account(w, db):
    patient = make_patient(db, w.practice)
    return make_user(db, Role.patient, patient=patient)


def _reset_code(w, db, params) -> dict:
    """A fresh patient account with a reset code from its practice."""
    user = _patient_account(w, db)
    code, _row = resets.issue_patient_code(db, w.actor(w.poh), user.patient_id, now=utcnow())
    return {"code": code, "password": NEW_PASSWORD}


def _reset_link(w, db) -> dict:
    user = _patient_account(w, db)
    token = resets.request_link(
        db, email=user.email, make_message=lambda u, t: ("onderwerp", t), now=utcnow()
    )
    return {"token": token}


RULES.update(
    {
        "accounts.admin_edit_user": Rule(frozenset({"admin"}), _fresh_staff, data=_user_edit),
        "accounts.admin_deactivate_user": Rule(frozenset({"admin"}), _fresh_staff),
        "accounts.admin_reactivate_user": Rule(frozenset({"admin"}), _deactivated_staff),
        "accounts.admin_reset_code": Rule(frozenset({"admin"}), _fresh_staff),
        # Public pages; signed-in users are sent to their home page.
        "accounts.reset_password": Rule(PUBLIC, data=_reset_code),
        "accounts.forgot_password": Rule(PUBLIC, data={"email": "iemand@example.test"}),
        "accounts.reset_link": Rule(PUBLIC, _reset_link, data={"password": NEW_PASSWORD}),
    }
)
