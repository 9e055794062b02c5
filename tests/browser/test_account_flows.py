"""Everyday account features in Chromium, in Dutch, axe-checked: an administrator deactivates
a colleague (whose open session ends at once); the POH makes a reset code and the patient
chooses a new password on a phone and logs in with it."""

from __future__ import annotations

import re

from tests.browser.conftest import browser_login, submit, visit

NEW_PASSWORD = "Herfst-fietstocht-door-de-Betuwe-2026"


def test_admin_deactivates_a_user_and_a_patient_resets_the_password(
    page, phone_page, live_url, world, db
):
    # A colleague is working on a phone.
    browser_login(phone_page, live_url, world.other_poh)
    assert phone_page.url == f"{live_url}/werklijst"

    # The administrator deactivates the colleague.
    browser_login(page, live_url, world.admin)
    submit(page, page.get_by_role("link", name=f"Bewerken {world.other_poh.name}"))
    assert page.locator("h1").inner_text() == f"Gebruiker bewerken: {world.other_poh.name}"
    submit(page, page.get_by_role("button", name="Account uitschakelen"))
    assert "overal uitgelogd" in page.locator("main").inner_text()
    assert "Dit account is uitgeschakeld" in page.locator("main").inner_text()

    # The colleague's open session has ended.
    visit(phone_page, f"{live_url}/werklijst")
    assert phone_page.url.startswith(f"{live_url}/login")

    # The POH makes a reset code for a patient who forgot the password.
    submit(page, page.get_by_role("button", name="Uitloggen"))
    browser_login(page, live_url, world.poh)
    visit(page, f"{live_url}/patienten/{world.patient.id}")
    submit(page, page.get_by_role("button", name="Herstelcode maken"))
    code = page.locator("strong.code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code

    # The patient, on the phone, chooses a new password with it and logs in.
    visit(phone_page, f"{live_url}/login")
    submit(phone_page, phone_page.get_by_role("link", name="Wachtwoord vergeten?"))
    assert "Bel of mail uw praktijk" in phone_page.locator("main").inner_text()
    submit(phone_page, phone_page.get_by_role("link", name="Ik heb een herstelcode"))
    phone_page.get_by_label("Herstelcode").fill(code)
    phone_page.get_by_label("Kies een nieuw wachtwoord").fill(NEW_PASSWORD)
    submit(phone_page, phone_page.get_by_role("button", name="Wachtwoord opslaan"))
    assert phone_page.locator("h1").inner_text() == "Nieuw wachtwoord ingesteld"
    assert world.patient_user.email in phone_page.locator("main").inner_text()

    # The code works once.
    visit(phone_page, f"{live_url}/wachtwoord-herstellen")
    phone_page.get_by_label("Herstelcode").fill(code)
    phone_page.get_by_label("Kies een nieuw wachtwoord").fill(NEW_PASSWORD + "!")
    submit(phone_page, phone_page.get_by_role("button", name="Wachtwoord opslaan"))
    assert "niet geldig" in phone_page.locator("main").inner_text()

    browser_login(phone_page, live_url, world.patient_user, password=NEW_PASSWORD)
    assert phone_page.url == f"{live_url}/mijn"
