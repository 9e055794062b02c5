"""The main job of each staff role in real Chromium, in Dutch and in English, on a phone
(390x844) and a desktop (1280x800):

- the POH logs in, opens the worklist, a patient, the care plan and a goal, completes its
  review (the PDCA check) and sees the result;
- care-group staff pick a period on the contracting report, download the CSV (its header in
  the chosen language) and, on the desktop, the PDF, and edit their own lifestyle catalogue;
- the administrator opens the users list, edits a user, deactivates one and opens a practice.

English is chosen with the language switch on the login page, as a person would. Every page:
axe reports no violation at all (minor ones included), the document is no wider than the
window, and the page is really in the chosen language (a known text of that language). The
patient's walk is in test_patient_phone_flow.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    _fresh_totp_code,
    assert_accessible,
    main_menu,
    strict_axe,
    submit,
)
from tests.browser.test_izp_flow import add_systolic, agreed_goal, bp_goal_input, fetch
from tests.factories import PASSWORD, TOTP_SECRET
from tests.leefstijl.helpers import make_intervention
from zelfzorg.accounts.models import User
from zelfzorg.izp.models import Goal
from zelfzorg.web import today as app_today

RUNS = [
    pytest.param(PHONE, "nl", id="phone-nl"),
    pytest.param(PHONE, "en", id="phone-en"),
    pytest.param(DESKTOP, "nl", id="desktop-nl"),
    pytest.param(DESKTOP, "en", id="desktop-en"),
]
LOGIN = {"nl": "Inloggen", "en": "Log in"}
MENU = {"nl": "Hoofdmenu", "en": "Main menu"}


# Everyday Dutch words that no English sentence has: one on an English page is a text left
# untranslated. Names in the test data (people, practices, goals) are taken out first.
DUTCH_WORDS = re.compile(
    r"\b(het|een|van|niet|voor|naar|bij|ook|geen|nog|wordt|zijn|uw|deze|dit|kies|"
    r"opslaan|patiënt|praktijk|doel|gebruiker|zorggroep|periode|aanbod)\b",
    re.IGNORECASE,
)
DATA = re.compile(
    r"Gerda Willemsen|Willemsen, Gerda|Mijn bloeddruk omlaag|De Linde|Waalkade|Zorggroep \d+"
)


def check(page, lang: str, h1: dict[str, str] | str | None = None) -> str:
    """The page fits the window, is in ``lang`` (an English page has no Dutch sentence) and
    (when given) has this heading; returns the text of ``main``. axe ran already
    (``submit``/``visit``)."""
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"
    assert page.locator("html").get_attribute("lang") == lang, page.url
    if h1 is not None:
        expected = h1 if isinstance(h1, str) else h1[lang]
        heading = page.locator("main h1").inner_text()
        assert heading.startswith(expected), f"{page.url}: {heading!r}, not {expected!r}"
    main = page.locator("main").inner_text()
    if lang == "en":
        text = DATA.sub("", page.locator("body").inner_text())
        dutch = [line for line in text.splitlines() if DUTCH_WORDS.search(line)]
        assert not dutch, f"{page.url} has Dutch text in English: {dutch}"
    return main


def go(page, lang: str, target, h1=None) -> str:
    submit(page, target)
    return check(page, lang, h1)


def log_in(page, live_url: str, user: User, lang: str) -> str:
    """The real login, in the chosen language: the switch on the login page, email and
    password, the TOTP step. Returns the text of the first page after it."""
    strict_axe(page)
    response = page.goto(f"{live_url}/login")
    assert response is not None and response.ok
    assert_accessible(page)
    check(page, "nl", LOGIN)
    if lang == "en":
        go(page, lang, page.get_by_role("button", name="English"), LOGIN)
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    go(page, lang, "main form button[type=submit]")
    assert page.url.startswith(f"{live_url}/login/totp"), page.url
    page.fill("input[name=code]", _fresh_totp_code(user, user.totp_secret or TOTP_SECRET))
    main = go(page, lang, "main form button[type=submit]")
    assert not page.url.removeprefix(live_url).startswith("/login"), page.url
    return main


def menu_link(page, lang: str, href: str):
    return main_menu(page, MENU[lang]).locator(f'a[href="{href}"]')


# --- the practice nurse (POH) ----------------------------------------------------------------

POH = {
    "worklist": {"nl": "Werklijst", "en": "Worklist"},
    "patient": "Gerda Willemsen",
    "plan": {"nl": "Zorgplan", "en": "Care plan"},
    "goal": "Mijn bloeddruk omlaag",
    "review": {"nl": "Evaluatie van een doel", "en": "Review of a goal"},
    "saved": {"nl": "Evaluatie opgeslagen.", "en": "Review saved."},
    "achievement": {"nl": "Hoe gaat het met het doel?", "en": "How is the goal going?"},
    "improving": {"nl": "Gaat beter", "en": "Improving"},
    "decision": {"nl": "Besluit", "en": "Decision"},
    "continue": {"nl": "Doorgaan zoals afgesproken", "en": "Continue as agreed"},
    "save": {"nl": "Evaluatie opslaan", "en": "Save review"},
}


@pytest.mark.parametrize(("sized_page", "lang"), RUNS, indirect=["sized_page"])
def test_poh_reviews_a_goal_from_the_worklist(sized_page, live_url, world, db, lang):
    goal = agreed_goal(
        db, world, bp_goal_input(review_date=app_today() + timedelta(days=2)), days_ago=30
    )
    for days_ago, value in [(20, 150), (15, 146), (10, 141), (5, 137), (2, 135)]:
        add_systolic(db, world, value, days_ago=days_ago)
    db.commit()
    page, t = sized_page, POH

    log_in(page, live_url, world.poh, lang)
    assert page.url == f"{live_url}/werklijst"
    check(page, lang, t["worklist"])
    line = page.locator("ol.worklist > li").filter(has_text=t["patient"])
    go(page, lang, line.get_by_role("link", name=t["patient"], exact=True), t["patient"])
    assert page.url == f"{live_url}/patienten/{world.patient.id}"
    go(page, lang, page.locator(f"main a[href='/patienten/{world.patient.id}/plan']"), t["plan"])
    go(page, lang, page.get_by_role("link", name=t["goal"]).first, t["goal"])
    go(page, lang, page.locator(f"main a[href='/doelen/{goal.id}/evaluatie']"), t["review"])

    decide = page.locator("section[aria-labelledby=dec-h]")
    decide.get_by_label(t["achievement"][lang]).select_option(label=t["improving"][lang])
    decide.get_by_role("group", name=t["decision"][lang]).get_by_label(t["continue"][lang]).check()
    main = go(page, lang, decide.get_by_role("button", name=t["save"][lang]), t["goal"])
    assert page.url == f"{live_url}/doelen/{goal.id}"
    assert t["saved"][lang] in main
    assert t["improving"][lang] in main
    [saved] = fetch(db, select(Goal).where(Goal.id == goal.id))
    assert saved.achievement == "improving"


# --- care-group staff -------------------------------------------------------------------------

CAREGROUP = {
    "home": {"nl": "Praktijken van de zorggroep", "en": "Practices of the care group"},
    "report": {"nl": "Rapportage zelfmanagement", "en": "Self-management report"},
    "show": {"nl": "Toon", "en": "Show"},
    "csv": {"nl": "CSV (Nederlandse Excel)", "en": "CSV (semicolon, Dutch Excel)"},
    "csv_header": {
        "nl": b"indicator;soort;niveau;praktijk",
        "en": b"indicator;kind;level;practice",
    },
    "catalogue": {"nl": "Leefstijlaanbod", "en": "Lifestyle catalogue"},
    "edit": {"nl": "Interventie bewerken", "en": "Edit intervention"},
    "edit_link": {"nl": "Bewerken", "en": "Edit"},
    "name": {"nl": "Naam", "en": "Name"},
    "save": {"nl": "Opslaan", "en": "Save"},
    "saved": {"nl": "Interventie opgeslagen.", "en": "Intervention saved."},
}


@pytest.mark.parametrize(("sized_page", "lang"), RUNS, indirect=["sized_page"])
def test_caregroup_downloads_the_report_and_edits_the_own_catalogue(
    sized_page, live_url, world, db, lang
):
    make_intervention(db, world.care_group.id, name="CooL")
    db.commit()
    page, t = sized_page, CAREGROUP

    log_in(page, live_url, world.caregroup_user, lang)
    check(page, lang, t["home"])
    go(page, lang, menu_link(page, lang, "/zorggroep/rapportage"), t["report"])

    # Pick a period.
    page.locator("input#van").fill("2025-01-01")
    page.locator("input#tot").fill("2025-12-31")
    go(page, lang, page.get_by_role("button", name=t["show"][lang], exact=True), t["report"])
    assert "van=2025-01-01" in page.url and "tot=2025-12-31" in page.url

    with page.expect_download(timeout=30_000) as csv_download:
        page.get_by_role("link", name=t["csv"][lang], exact=True).click()
    assert csv_download.value.suggested_filename.endswith(".csv")
    header = csv_download.value.path().read_bytes().removeprefix(b"\xef\xbb\xbf")
    assert header.splitlines()[0].startswith(t["csv_header"][lang]), header[:80]
    if page.viewport_size["width"] >= DESKTOP["width"]:  # a PDF takes seconds: desktop only
        with page.expect_download(timeout=30_000) as pdf_download:
            page.get_by_role("link", name="PDF", exact=True).click()
        assert pdf_download.value.suggested_filename.endswith(".pdf")
        assert pdf_download.value.path().read_bytes().startswith(b"%PDF")

    # The own lifestyle catalogue: edit an entry.
    go(page, lang, menu_link(page, lang, "/leefstijl/aanbod"), t["catalogue"])
    edit = page.get_by_role("link", name=f"{t['edit_link'][lang]} CooL")
    go(page, lang, edit, t["edit"])
    page.get_by_label(t["name"][lang], exact=True).fill("CooL Tiel")
    main = go(page, lang, page.get_by_role("button", name=t["save"][lang], exact=True))
    assert page.url == f"{live_url}/leefstijl/aanbod"
    assert t["saved"][lang] in main and "CooL Tiel" in main


# --- the administrator (beheer) ----------------------------------------------------------------

ADMIN = {
    "home": {"nl": "Beheer", "en": "Administration"},
    "users": {"nl": "Medewerkers", "en": "Staff"},
    "edit_link": {"nl": "Bewerken", "en": "Edit"},
    "edit": {"nl": "Gebruiker bewerken", "en": "Edit user"},
    "name": {"nl": "Naam", "en": "Name"},
    "save": {"nl": "Opslaan", "en": "Save"},
    "saved": {"nl": "Gebruiker opgeslagen.", "en": "User saved."},
    "deactivate": {"nl": "Account uitschakelen", "en": "Deactivate account"},
    "deactivated": {
        "nl": "Dit account is uitgeschakeld",
        "en": "This account is deactivated",
    },
    "practice_link": {"nl": "Wijzigen", "en": "Edit"},
    "practice": {"nl": "Praktijk {name} wijzigen", "en": "Edit practice {name}"},
}


@pytest.mark.parametrize(("sized_page", "lang"), RUNS, indirect=["sized_page"])
def test_admin_edits_and_deactivates_a_user_and_opens_a_practice(
    sized_page, live_url, world, db, lang
):
    page, t = sized_page, ADMIN
    colleague = world.other_poh

    log_in(page, live_url, world.admin, lang)
    main = check(page, lang, t["home"])
    assert t["users"][lang] in main and colleague.email in main

    edit = page.get_by_role("link", name=f"{t['edit_link'][lang]} {colleague.name}")
    go(page, lang, edit, t["edit"])
    page.get_by_label(t["name"][lang], exact=True).fill("Ricardo de Vries")
    main = go(page, lang, page.get_by_role("button", name=t["save"][lang], exact=True), t["edit"])
    assert t["saved"][lang] in main and "Ricardo de Vries" in page.locator("h1").inner_text()

    main = go(page, lang, page.get_by_role("button", name=t["deactivate"][lang]), t["edit"])
    assert t["deactivated"][lang] in main
    [user] = fetch(db, select(User).where(User.id == colleague.id))
    assert not user.is_active and user.name == "Ricardo de Vries"

    go(page, lang, menu_link(page, lang, "/beheer"), t["home"])
    practice = page.get_by_role("link", name=f"{t['practice_link'][lang]} {world.practice.name}")
    go(page, lang, practice, t["practice"][lang].format(name=world.practice.name))
