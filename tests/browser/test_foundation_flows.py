"""Foundation flows in real Chromium: staff login with TOTP, the patient record, the patient's
own pages on a phone, and keyboard use of the login page. axe checks every page."""

from __future__ import annotations

import re

from sqlmodel import select

from tests.browser.conftest import assert_accessible, browser_login, main_menu, submit, visit
from tests.factories import make_patient
from zelfzorg.audit.models import AuditEntry
from zelfzorg.patients import services as patient_services


def test_professional_logs_in_finds_patient_and_creates_activation_code(page, live_url, world, db):
    # world.patient already has an account; a new patient of the practice has none yet.
    newcomer = make_patient(db, world.practice, given="Anna", family="de Vries")
    db.commit()

    browser_login(page, live_url, world.poh)
    assert page.url == f"{live_url}/werklijst"
    assert page.locator("h1").inner_text() == "Werklijst"

    submit(page, page.get_by_role("link", name="Patiënten", exact=True))
    page.get_by_label("Zoek op naam").fill("Willemsen")
    submit(page, page.get_by_role("button", name="Zoeken"))
    assert "1 patiënt gevonden" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="Bakker, Kees").count() == 0

    submit(page, page.get_by_role("link", name="Willemsen, Gerda"))
    assert page.url == f"{live_url}/patienten/{world.patient.id}"
    assert page.locator("h1").inner_text() == "Gerda Willemsen"
    assert "Account geactiveerd op" in page.locator("#account-h + p").inner_text()

    visit(page, f"{live_url}/patienten?q=Vries")
    submit(page, page.get_by_role("link", name="de Vries, Anna"))
    assert page.url == f"{live_url}/patienten/{newcomer.id}"
    submit(page, page.get_by_role("button", name="Nieuwe activatiecode maken"))
    code = page.locator("strong.code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code


def test_patient_on_phone_sees_overview_and_who_accessed_the_record(
    phone_page, live_url, world, db
):
    # Arrange: the POH opened the record (the service writes the audit entry).
    patient_services.open_patient(db, world.actor(world.poh), world.patient.id)
    db.commit()
    assert db.exec(select(AuditEntry).where(AuditEntry.user_id == world.poh.id)).first()
    db.commit()

    page = phone_page
    browser_login(page, live_url, world.patient_user)
    assert page.url == f"{live_url}/mijn"
    assert page.locator("h1").inner_text() == "Welkom, Gerda"
    nav = main_menu(page)
    assert nav.get_by_role("link", name="Mijn overzicht").get_attribute("aria-current") == "page"
    assert "Diabetes type 2" in page.locator("main").inner_text()
    assert_no_horizontal_scroll(page)

    submit(page, nav.get_by_role("link", name="Wie bekeek mijn gegevens"))
    assert page.locator("h1").inner_text() == "Wie bekeek mijn gegevens"
    visits = page.locator("main li.card")
    assert visits.filter(has_text="Sanne POH").count() >= 1
    assert "bekeken" in visits.filter(has_text="Sanne POH").first.inner_text()
    assert_no_horizontal_scroll(page)

    # WCAG reflow: still usable at 320 CSS pixels (wide tables scroll in a focusable region).
    page.set_viewport_size({"width": 320, "height": 640})
    visit(page, f"{live_url}/mijn/toegang")
    assert_no_horizontal_scroll(page)


def test_login_page_is_keyboard_usable_with_visible_focus(page, live_url):
    visit(page, f"{live_url}/login")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Naar de inhoud"  # the skip link comes first

    seen = []
    for _ in range(10):
        page.keyboard.press("Tab")
        info = focused(page)
        seen.append(info)
        if info["name"] == "email":
            break
    else:
        raise AssertionError(f"Tab never reached the email field: {seen}")

    order = [focused(page)]
    for _ in range(2):
        page.keyboard.press("Tab")
        order.append(focused(page))
    assert [(f["tag"], f["name"] or f["type"]) for f in order] == [
        ("input", "email"),
        ("input", "password"),
        ("button", "submit"),
    ]
    for info in [*seen, *order]:
        assert info["outline"] != "none" and info["outlineWidth"] != "0px", info
    assert_accessible(page)


def focused(page) -> dict:
    return page.evaluate(
        """() => {
        const el = document.activeElement, style = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), name: el.getAttribute('name') || '',
                type: el.getAttribute('type') || '', text: el.innerText || '',
                outline: style.outlineStyle, outlineWidth: style.outlineWidth};
    }"""
    )


def assert_no_horizontal_scroll(page) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page scrolls sideways on a phone: {widths}"
