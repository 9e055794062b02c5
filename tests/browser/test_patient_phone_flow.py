"""The patient's main walk on a phone (360x780 and 390x844, Dutch and English) and once on a
desktop (Dutch and English): home -> metingen -> chart -> plan -> vragenlijsten (with the
score chart) -> vragenlijst, through the menu as a person would
(on a phone behind its "Menu" button). On every page: no sideways scrolling and no axe
violation at all.

Short on purpose (CI time, about 12 s a run): the suite runs 360 px in Dutch, 390 px in
English and the desktop in both languages; every phone size in both languages with
``ZELFZORG_FULL_PHONE_MATRIX=1 .venv/bin/python -m pytest <this file>``.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.assessment.helpers import LEVEL_1, LEVEL_3, complete
from tests.browser.conftest import DESKTOP, browser_login, main_menu, strict_axe, submit
from tests.izp.helpers import active_goal, goal_input
from zelfzorg.assessment import services as assessment
from zelfzorg.izp import goals
from zelfzorg.telemonitoring import services as tm
from zelfzorg.telemonitoring.services import ReadingsInput

TEXTS = {
    "nl": {
        "menu": "Hoofdmenu",
        "welcome": "Welkom, Gerda",
        "call": "Bel 0344 61 23 45",
        "agreed": "U bent akkoord. Uw zorgverlener kijkt nog naar dit doel.",
        "third_person": "Patiënt is akkoord",
        "cvrm": "kans op hart- en vaatziekten",
    },
    "en": {
        "menu": "Main menu",
        "welcome": "Welcome, Gerda",
        "call": "Call 0344 61 23 45",
        "agreed": "You agree. Your care provider is still looking at this goal.",
        "third_person": "Patient agrees",
        "cvrm": "risk of heart and vascular disease",
    },
}
SMALL, LARGER = {"width": 360, "height": 780}, {"width": 390, "height": 844}
RUNS = [
    pytest.param(SMALL, "nl", id="360-nl"),
    pytest.param(LARGER, "en", id="390-en"),
    pytest.param(DESKTOP, "nl", id="desktop-nl"),
    pytest.param(DESKTOP, "en", id="desktop-en"),
]
if os.environ.get("ZELFZORG_FULL_PHONE_MATRIX") == "1":
    RUNS += [pytest.param(SMALL, "en", id="360-en"), pytest.param(LARGER, "nl", id="390-nl")]


def arrange(db, world, lang: str) -> None:
    """A patient with a practice phone number, a goal to review soon and one they proposed,
    a year of blood pressure with two months missing, and a questionnaire waiting after a
    review."""
    world.practice.phone = "0344 61 23 45"
    world.patient_user.locale = lang
    active_goal(db, world, title="Elke dag een half uur wandelen", review_date=date.today())
    actor = world.actor(world.patient_user)
    goals.propose_goal(
        db, actor, world.patient.id, goal_input(title="Minder zout eten"), today=date.today()
    )
    now = datetime.now(UTC).replace(microsecond=0)
    for days in [*range(10, 120, 10), *range(190, 360, 10)]:
        data = ReadingsInput(
            values={"systolic": str(128 + days % 20), "diastolic": "80"},
            measured_at=now - timedelta(days=days),
        )
        tm.record_readings(db, actor, world.patient.id, data, now=now, confirmed=True)
    for days, answers in [(200, LEVEL_1), (40, LEVEL_3)]:  # a score trend to draw
        complete(db, world, answers, now=now - timedelta(days=days))
    assessment.invite_experience_questionnaire(
        db, patient_id=world.patient.id, review_id=1, now=now
    )
    db.commit()


def assert_fits(page) -> None:
    """No sideways scrolling: the document is no wider than the window."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def go(page, lang: str, href: str) -> None:
    submit(page, main_menu(page, TEXTS[lang]["menu"]).locator(f'a[href="{href}"]'))
    assert_fits(page)


@pytest.mark.parametrize(("sized_page", "lang"), RUNS, indirect=["sized_page"])
def test_patient_walks_home_measurements_plan_questionnaire(sized_page, live_url, world, db, lang):
    arrange(db, world, lang)
    page = strict_axe(sized_page)  # no axe violation at all, minor ones included
    phone = page.viewport_size["width"] < DESKTOP["width"]
    text = TEXTS[lang]
    browser_login(page, live_url, world.patient_user)

    # Home: what to do next, each with its action; the header stays one line on a phone.
    assert page.url == f"{live_url}/mijn"
    assert page.locator("h1").inner_text() == text["welcome"]
    assert page.locator('a[href="tel:0344612345"]').inner_text() == text["call"]
    assert page.locator("main a[href$='/voorbereiden']").count() >= 1
    assert page.locator("main a[href^='/vragenlijsten/antwoorden/']").count() == 1
    assert text["cvrm"] in page.locator("main").inner_text()
    header = page.locator("header.site-header .bar").bounding_box()
    assert header is not None and (header["height"] < 80 if phone else True)
    assert_fits(page)

    # Measurements: on a phone every row is a card, target and chart link inside the screen.
    go(page, lang, "/mijn/metingen")
    width = page.evaluate("() => window.innerWidth")
    chart_link = page.locator("main a[href='/mijn/metingen/grafiek/bp_systolic']")
    box = chart_link.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width

    # The chart: the layout for the screen, with the line broken where months are missing.
    submit(page, chart_link)
    assert_fits(page)
    svg = page.locator("figure.tm-chart:visible svg[role=img]")
    assert svg.get_attribute("font-size") == ("14" if phone else "12")
    assert svg.locator("polyline.line").count() >= 2

    # The plan, written to the patient.
    go(page, lang, "/mijn/plan")
    main = page.locator("main").inner_text()
    assert text["agreed"] in main and text["third_person"] not in main

    # The questionnaires page: the score chart in the layout for the screen, its axis text
    # at least 12 px on the screen (a phone gets the compact chart with larger text).
    go(page, lang, "/vragenlijsten")
    trend_svg = page.locator("figure.assessment-trend:visible svg[role=img]")
    assert trend_svg.count() == 1
    assert trend_svg.get_attribute("font-size") == ("14" if phone else "12")
    text_px = trend_svg.evaluate(
        "svg => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width"
        " * Number(svg.getAttribute('font-size'))"
    )
    assert text_px >= 12, text_px

    # The questionnaire waiting for the patient, opened from the questionnaires page.
    submit(page, page.locator("main a[href^='/vragenlijsten/antwoorden/']").first)
    assert_fits(page)
    assert page.locator("main form input[type=radio]").count() > 0
