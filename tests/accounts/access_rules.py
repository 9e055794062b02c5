from tests.access import EVERYONE_LOGGED_IN, PUBLIC, Rule
from tests.factories import POLICY, make_patient
from zelfzorg.accounts.services import create_activation_code


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
