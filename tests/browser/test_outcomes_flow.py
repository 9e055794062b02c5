"""Outcome dashboard in real Chromium: the patient opens "Vergelijken" on a phone and reads the
comparison in words, opens the table; the POH sees the compact block on the review screen and
follows it to the full page. axe checks every page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page

from tests.browser.conftest import assert_accessible, browser_login, main_menu, submit
from tests.browser.test_foundation_flows import assert_no_horizontal_scroll
from tests.factories import make_patient, make_user
from tests.izp.helpers import active_goal
from tests.outcomes.helpers import PEER_BORN, goal, measure, peers
from zelfzorg.accounts.models import Role
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Programme, Sex


def _arrange(db, world):
    recent = utcnow() - timedelta(days=30)
    peers(db, world.practice, [71] * 16 + [33] * 4, at=recent)
    measure(db, world.patient, 52, at=recent - timedelta(days=90))
    measure(db, world.patient, 45, at=recent)
    # Patients like me: 20 comparable CVRM patients with a similar goal, 11 reached it.
    start = utcnow() - timedelta(days=500)
    for index in range(20):
        (peer,) = peers(db, world.practice, [None], programmes=(Programme.CVRM,))
        goal(db, peer, created=start)
        value = 131 if index < 11 else 151
        measure(db, peer, value, code="bp_systolic", at=start + timedelta(days=90))
    mine = active_goal(db, world)
    db.commit()
    return mine


def test_patient_and_poh_see_the_comparison(phone_page: Page, page: Page, live_url, world, db):
    reviewed = _arrange(db, world)

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
    like_me = phone_page.locator("section.outcome-likeme")
    assert "ongeveer 55 hun doel binnen een jaar" in like_me.inner_text()
    assert_accessible(phone_page)
    assert_no_horizontal_scroll(phone_page)

    browser_login(page, live_url, world.poh)
    page.goto(f"{live_url}/doelen/{reviewed.id}/evaluatie")
    assert_accessible(page)
    block = page.locator("section.outcome-review")
    assert "Beter dan de mediaan" in block.inner_text() and "percentiel 80" in block.inner_text()
    assert "Ongeveer 55 van elke 100 vergelijkbare patiënten" in block.inner_text()
    submit(page, block.get_by_role("link", name="Alle uitkomsten, de regels en een tabel"))
    assert "Uitkomsten van Gerda Willemsen" in page.locator("h1").inner_text()
    page.get_by_text("Hoe vergelijken we?").first.click()
    assert "minstens 20 vergelijkbare patiënten" in page.locator("main").inner_text()
    assert_accessible(page)


def test_smoking_and_weight_trend_read_in_words_on_a_phone(phone_page: Page, live_url, world, db):
    """A COPD and heart-failure patient: smoking as a share (no percentile, the reason said),
    the weight trend as a signed change, the symptom diary "too few"; axe on the page."""
    recent = utcnow() - timedelta(days=10)
    subject = make_patient(
        db,
        world.practice,
        sex=Sex.female,
        born=PEER_BORN,
        programmes=(Programme.COPD, Programme.hartfalen),
    )
    user = make_user(db, Role.patient, patient=subject)
    for index in range(20):
        (peer,) = peers(db, world.practice, [None], programmes=(Programme.COPD,))
        measure(db, peer, "current" if index < 4 else "never", code="smoking_status", at=recent)
    measure(db, subject, "never", code="smoking_status", at=recent)
    measure(db, subject, 80.0, code="weight", at=utcnow() - timedelta(days=40))
    measure(db, subject, 79.2, code="weight", at=recent)
    db.commit()

    browser_login(phone_page, live_url, user)
    nav = main_menu(phone_page)
    submit(phone_page, nav.get_by_role("link", name="Vergelijken"))
    smoking = phone_page.locator("li.outcome-card").filter(has_text="Roken")
    assert "Nooit gerookt" in smoking.inner_text()
    assert "Ongeveer 80 van elke 100 vergelijkbare patiënten roken niet." in smoking.inner_text()
    trend = phone_page.locator("li.outcome-card").filter(has_text="Gewicht in de afgelopen")
    assert "-0,8 kg in 28 dagen" in trend.inner_text()
    phone_page.get_by_text("Dezelfde gegevens als tabel").first.click()
    assert_accessible(phone_page)
    assert_no_horizontal_scroll(phone_page)
