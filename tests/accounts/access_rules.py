from tests.access import EVERYONE_LOGGED_IN, PUBLIC, Rule

RULES = {
    # The start page sends anonymous visitors to the login page.
    "accounts.index": Rule(EVERYONE_LOGGED_IN),
    "accounts.login": Rule(PUBLIC),
    # Second-factor pages need a pending first factor: without one, back to the login page.
    "accounts.totp": Rule(EVERYONE_LOGGED_IN),
    "accounts.totp_enrol": Rule(EVERYONE_LOGGED_IN),
    "accounts.logout": Rule(EVERYONE_LOGGED_IN),
    "accounts.activate": Rule(PUBLIC),
    "accounts.set_language": Rule(PUBLIC, data={"lang": "en"}),
    "accounts.caregroup_home": Rule(frozenset({"caregroup"})),
    "accounts.admin_home": Rule(frozenset({"admin"})),
    "accounts.admin_new_care_group": Rule(frozenset({"admin"})),
    "accounts.admin_new_practice": Rule(frozenset({"admin"})),
    "accounts.admin_new_user": Rule(frozenset({"admin"})),
    "accounts.admin_reset_totp": Rule(
        frozenset({"admin"}), params=lambda w, db: {"user_id": w.other_poh.id}
    ),
    "accounts.admin_memberships": Rule(
        frozenset({"admin"}), params=lambda w, db: {"user_id": w.other_poh.id}
    ),
    # Without data: 400 with a message for the admin (the valid add is in test_memberships.py).
    "accounts.admin_add_membership": Rule(
        frozenset({"admin"}), params=lambda w, db: {"user_id": w.other_poh.id}
    ),
    "accounts.admin_remove_membership": Rule(
        frozenset({"admin"}),
        params=lambda w, db: {"user_id": w.other_poh.id, "practice_id": w.practice.id},
    ),
    "notifications.index": Rule(EVERYONE_LOGGED_IN),
    "notifications.mark_read": Rule(EVERYONE_LOGGED_IN),
    "worklist.index": Rule(frozenset({"professional", "professional_other"})),
}
