"""Lifestyle flow in real Chromium: the POH finds an eligible patient, proposes a GLI and
offers it; the patient accepts the offer on a phone; the POH sees it accepted. Also the
admin's catalogue page. axe checks every page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from tests.browser.conftest import browser_login, main_menu, submit, visit
from tests.leefstijl.helpers import add_measurement, make_intervention
from zelfzorg.leefstijl.models import Referral, ReferralEvent
from zelfzorg.models_base import utcnow

GLI_DM2_BMI = {
    "all": [
        {"programme_in": ["DM2"]},
        {"measurement": "bmi", "op": ">=", "value": 25},
    ]
}


def test_poh_offers_a_gli_and_the_patient_accepts_it_on_a_phone(
    page, phone_page, live_url, world, db
):
    gli = make_intervention(db, world.care_group.id, name="CooL", criteria=GLI_DM2_BMI)
    add_measurement(db, world.patient.id, "bmi", 28.5, at=utcnow() - timedelta(days=10))
    db.commit()
    gli_id, patient_id = gli.id, world.patient.id

    # The POH finds the patient among the practice's lifestyle opportunities.
    browser_login(page, live_url, world.poh)
    nav = main_menu(page)
    submit(page, nav.get_by_role("link", name="Leefstijl", exact=True))
    assert page.locator("h1").inner_text() == "Leefstijl: kansen in de praktijk"
    row = page.locator("main table tbody tr").filter(has_text="Willemsen, Gerda")
    assert "CooL" in row.inner_text() and "BMI 28,5" in row.inner_text()
    submit(page, row.get_by_role("link", name="Willemsen, Gerda"))
    assert page.url == f"{live_url}/patienten/{patient_id}/leefstijl"

    # Eligible, with the explanation line by line.
    card = page.locator("section[aria-labelledby=eligibility-h] li.card").filter(has_text="CooL")
    assert "CooL: komt in aanmerking" in card.get_by_role("heading").inner_text()
    explanation = card.locator("ul.explanation").inner_text()
    assert "DM2" in explanation and "BMI 28,5" in explanation, explanation
    assert "Ontbrekende gegevens" not in card.inner_text()

    # Propose, then offer.
    propose = page.locator("section[aria-labelledby=propose-h]")
    propose.get_by_label("Interventie", exact=True).select_option(label="CooL")
    propose.get_by_label("Toelichting (optioneel)").fill("Besproken op het spreekuur")
    submit(page, propose.get_by_role("button", name="Voorstellen"))
    assert "Verwijzing voorgesteld." in page.locator("main").inner_text()
    referrals = page.locator("section[aria-labelledby=referrals-h]")
    assert "CooL voorgesteld" in referrals.get_by_role("heading", name="CooL").inner_text()
    submit(page, referrals.get_by_role("button", name="Zet op: aangeboden (CooL)"))
    assert "Status van de verwijzing bijgewerkt." in page.locator("main").inner_text()
    assert "aangeboden" in referrals.get_by_role("heading", name="CooL").inner_text()
    history = referrals.get_by_role("list", name="Verloop").inner_text()
    assert "voorgesteld (door de zorgverlener): Besproken op het spreekuur" in history
    assert "aangeboden (door de zorgverlener)" in history
    # Once offered it is no longer an open opportunity.
    visit(page, f"{live_url}/leefstijl/kansen")
    assert page.get_by_role("link", name="Willemsen, Gerda").count() == 0

    # The patient sees the offer in plain language on a phone and accepts it.
    phone = phone_page
    browser_login(phone, live_url, world.patient_user)
    submit(
        phone,
        main_menu(phone).get_by_role("link", name="Leefstijl", exact=True),
    )
    assert phone.locator("h1").inner_text() == "Mijn leefstijl"
    offers = phone.locator("section[aria-labelledby=offers-h]")
    offer = offers.locator("li.card").filter(has_text="CooL")
    text = offer.inner_text()
    assert "Twee jaar begeleiding bij gezonder eten en meer bewegen." in text
    assert "Wie kan meedoen:" in text and "BMI 25 of hoger" in text, text
    assert "vergoed" in text
    assert_no_horizontal_scroll(phone)
    offer.get_by_label("Wilt u iets toelichten? (mag leeg blijven)").fill("Graag op dinsdag")
    submit(phone, offer.get_by_role("button", name=re.compile(r"^Ja, ik doe mee\W+CooL$")))
    main = phone.locator("main").inner_text()
    assert "Fijn dat u meedoet. Uw zorgverlener neemt contact met u op." in main
    assert "U heeft op dit moment geen aanbod om te beantwoorden." in main
    progress = phone.locator("section[aria-labelledby=progress-h]")
    assert "geaccepteerd" in progress.get_by_role("heading", name="CooL").inner_text()
    assert_no_horizontal_scroll(phone)

    # The POH sees the acceptance, recorded as the patient's answer.
    visit(page, f"{live_url}/patienten/{patient_id}/leefstijl")
    referrals = page.locator("section[aria-labelledby=referrals-h]")
    assert "geaccepteerd" in referrals.get_by_role("heading", name="CooL").inner_text()
    history = referrals.get_by_role("list", name="Verloop").inner_text()
    assert "geaccepteerd (door de patiënt): Graag op dinsdag" in history
    assert referrals.get_by_role("button", name="Zet op: gestart (CooL)").is_visible()

    db.expire_all()
    referral = db.exec(select(Referral).where(Referral.intervention_id == gli_id)).one()
    assert (referral.patient_id, referral.state) == (patient_id, "accepted")
    events = db.exec(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.id)
    ).all()
    assert [(e.to_state, e.actor_role) for e in events] == [
        ("proposed", "professional"),
        ("offered", "professional"),
        ("accepted", "patient"),
    ]
    db.rollback()


def test_admin_catalogue_page_is_accessible(page, live_url, world, db):
    make_intervention(db, world.care_group.id, name="CooL", criteria=GLI_DM2_BMI)
    make_intervention(
        db,
        world.care_group.id,
        name="Stoppen met roken",
        kind="smoking_cessation",
        criteria={"smoking": "current"},
        internet_based=True,
        active=False,
    )
    db.commit()

    browser_login(page, live_url, world.admin)
    nav = main_menu(page)
    submit(page, nav.get_by_role("link", name="Leefstijlaanbod"))
    assert page.locator("h1").inner_text() == "Leefstijlaanbod"
    cards = page.locator("main li.card")
    assert cards.count() == 2
    cool = cards.filter(has_text="CooL")
    assert "DM2 en BMI 25 of hoger" in cool.inner_text()
    assert "niet actief" in cards.filter(has_text="Stoppen met roken").inner_text()
    submit(page, page.get_by_role("link", name="Bewerken CooL"))
    assert page.locator("h1").inner_text() == "Interventie bewerken"
    assert page.get_by_label("Naam", exact=True).input_value() == "CooL"


def assert_no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page scrolls sideways on a phone: {widths}"
