"""Erasure in real Chromium, in Dutch: the patient asks for their data to be deleted (a
forgotten reason is explained, the request is sent), sees the status; the POH finds it in
the list and approves. axe checks every phone."""

from __future__ import annotations

from sqlmodel import select

from tests.browser.conftest import browser_login, submit
from zelfzorg.privacy.models import ErasureRequest, ErasureStatus


def test_patient_requests_erasure_and_the_poh_approves_it(page, phone_page, live_url, world, db):
    phone = phone_page  # the patient, on a phone
    browser_login(phone, live_url, world.patient_user)
    submit(phone, phone.get_by_role("link", name="Mijn gegevens laten verwijderen"))
    assert phone.locator("h1").inner_text() == "Mijn gegevens laten verwijderen"
    assert "U heeft nog geen verzoek gedaan." in phone.locator("main").inner_text()

    form = phone.locator("section[aria-labelledby=form-h]")
    form.get_by_label("Ik begrijp dat mijn gegevens").check()
    submit(phone, form.get_by_role("button", name="Verzoek versturen"))
    assert "Schrijf kort op waarom." in phone.locator("main").inner_text()
    form.get_by_label("Waarom wilt u dat uw gegevens worden verwijderd?").fill("Ik stop ermee.")
    form.get_by_label("Ik begrijp dat mijn gegevens").check()
    submit(phone, form.get_by_role("button", name="Verzoek versturen"))
    main = phone.locator("main").inner_text()
    assert "Uw verzoek is verstuurd naar uw praktijk." in main
    assert "wacht op beoordeling door de praktijk" in main

    browser_login(page, live_url, world.poh)
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    submit(page, nav.get_by_role("link", name="Verwijderverzoeken"))
    submit(page, page.get_by_role("link", name="Gerda Willemsen"))
    review = page.locator("section[aria-labelledby=review-h]")
    review.get_by_label("Goedkeuren").check()
    review.get_by_label("Reden van het besluit").fill("Geen bezwaar.")
    submit(page, review.get_by_role("button", name="Besluit opslaan"))
    assert (
        "Een andere medewerker van de praktijk bevestigt nu." in page.locator("main").inner_text()
    )
    db.expire_all()
    request = db.exec(select(ErasureRequest)).one()
    assert request.status == ErasureStatus.approved and request.decided_by_id == world.poh.id
    db.commit()
