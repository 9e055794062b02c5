"""Outcome dashboard in real Chromium: the patient opens "Vergelijken" on a phone and reads the
comparison in words, opens the table; the POH sees the compact block on the review screen and
follows it to the full page. axe checks every page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page

from tests.browser.conftest import assert_accessible, browser_login, main_menu, submit
from tests.browser.test_foundation_flows import assert_no_horizontal_scroll
from tests.izp.helpers import active_goal
from tests.outcomes.helpers import measure, peers
from zelfzorg.models_base import utcnow


def _arrange(db, world):
    recent = utcnow() - timedelta(days=30)
    peers(db, world.practice, [71] * 16 + [33] * 4, at=recent)
    measure(db, world.patient, 52, at=recent - timedelta(days=90))
    measure(db, world.patient, 45, at=recent)
    goal = active_goal(db, world)
    db.commit()
    return goal


def test_patient_and_poh_see_the_comparison(phone_page: Page, page: Page, live_url, world, db):
    goal = _arrange(db, world)

    browser_login(phone_page, live_url, world.patient_user)
    nav = main_menu(phone_page)
    submit(phone_page, nav.get_by_role("link", name="Vergelijken"))
    assert phone_page.locator("h1").inner_text() == "Hoe gaat het met mij, vergeleken met anderen?"
    card = phone_page.locator("li.outcome-card").filter(has_text="HbA1c")
    assert "Beter dan de meeste vergelijkbare patiënten" in card.inner_text()
    assert "ongeveer 80 het minder goed dan u" in card.inner_text()
    phone_page.get_by_text("Dezelfde gegevens als tabel").first.click()
    table = phone_page.get_by_role("table").first
    assert table.is_visible() and "Percentiel" in table.inner_text()
    assert_accessible(phone_page)
    assert_no_horizontal_scroll(phone_page)

    browser_login(page, live_url, world.poh)
    page.goto(f"{live_url}/doelen/{goal.id}/evaluatie")
    assert_accessible(page)
    block = page.locator("section.outcome-review")
    assert "Beter dan de mediaan" in block.inner_text() and "percentiel 80" in block.inner_text()
    submit(page, block.get_by_role("link", name="Alle uitkomsten, de regels en een tabel"))
    assert "Uitkomsten van Gerda Willemsen" in page.locator("h1").inner_text()
    page.get_by_text("Hoe vergelijken we?").first.click()
    assert "minstens 20 vergelijkbare patiënten" in page.locator("main").inner_text()
    assert_accessible(page)
