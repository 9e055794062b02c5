"""Assessment flows in real Chromium: the patient fills in the activation questionnaire on a
phone page by page and sees the level explained; the POH then sees level, support advice and
review interval; and an unfinished questionnaire is kept and resumed. axe checks every page."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import browser_login, main_menu, submit, visit
from tests.browser.test_foundation_flows import assert_no_horizontal_scroll

TITLE = "Vragenlijst zelfmanagement (activatie)"
# The 13 items of the built-in activation questionnaire (data/activation.yaml), 4 per screen.
ITEMS = [
    "Ik kan in mijn eigen woorden uitleggen wat mijn aandoening is.",
    "Ik weet aan welke signalen van mijn lichaam ik merk dat het minder goed gaat.",
    "Ik weet welke uitslagen, zoals bloeddruk of bloedsuiker, voor mijn gezondheid tellen.",
    "Ik weet wat ik in mijn dagelijks leven zelf kan doen voor mijn gezondheid.",
    "Ik durf mijn zorgverlener te vragen iets nog een keer uit te leggen.",
    "Ik kan zelf een plan maken om een doel voor mijn gezondheid te halen.",
    "In een gesprek met mijn zorgverlener zeg ik wat voor mij belangrijk is.",
    "Ik heb er vertrouwen in dat ik met mijn aandoening een goed leven kan leiden.",
    "Ik gebruik mijn medicijnen zoals afgesproken, ook als ik me goed voel.",
    "Ik houd zelf bij hoe het met mijn gezondheid gaat, bijvoorbeeld met metingen of een dagboek.",
    "Het afgelopen half jaar heb ik zelf iets in mijn leefstijl veranderd om gezonder te leven.",
    "Als het een tijd minder gaat, pak ik daarna mijn goede gewoontes weer op.",
    "Ook als het druk of moeilijk is in mijn leven, blijf ik goed voor mijn gezondheid zorgen.",
]
# Eleven times "Eens" (3) and twice "Oneens" (2): mean 2.846 -> score 61.5, level 3.
LEVEL_3 = ["Eens"] * 11 + ["Oneens"] * 2


def question(page: Page, number: int):
    """The radio group of item ``number`` (1-based), found by its legend as a user sees it."""
    return page.get_by_role("group", name=ITEMS[number - 1], exact=True)


def answer(page: Page, number: int, label: str) -> None:
    question(page, number).get_by_label(label, exact=True).check()


def assert_answered(page: Page, number: int, label: str) -> None:
    assert question(page, number).get_by_label(label, exact=True).is_checked(), (number, label)


def open_questionnaires(page: Page) -> None:
    nav = main_menu(page)
    submit(page, nav.get_by_role("link", name="Vragenlijsten"))
    assert page.locator("h1").inner_text() == "Vragenlijsten"


def start_activation(page: Page) -> None:
    card = page.locator("li.card").filter(has_text=TITLE)
    submit(page, card.get_by_role("button", name="Starten of verder gaan"))
    assert page.locator("h1").inner_text() == TITLE


def test_patient_fills_in_activation_on_phone_and_poh_sees_level_advice_and_interval(
    phone_page, page, live_url, world, db
):
    patient = phone_page
    browser_login(patient, live_url, world.patient_user)
    open_questionnaires(patient)
    assert "U heeft nog geen uitslag" in patient.locator("#latest-h + *").inner_text()
    start_activation(patient)

    for screen in range(1, 5):
        meta = patient.locator("main p.meta").first.inner_text()
        assert f"Pagina {screen} van 4" in meta
        numbers = range(4 * screen - 3, min(4 * screen, 13) + 1)
        assert patient.locator("main").get_by_role("group").count() == len(numbers)
        for number in numbers:
            answer(patient, number, LEVEL_3[number - 1])
        assert_no_horizontal_scroll(patient)
        if screen < 4:
            submit(patient, patient.get_by_role("button", name="Volgende"))
    # Paging back shows the answers given; paging forward again keeps them.
    submit(patient, patient.get_by_role("button", name="Vorige"))
    assert "Pagina 3 van 4" in patient.locator("main p.meta").first.inner_text()
    for number in range(9, 13):
        assert_answered(patient, number, LEVEL_3[number - 1])
    submit(patient, patient.get_by_role("button", name="Volgende"))
    assert_answered(patient, 13, "Oneens")
    assert "Daarna kunt u ze niet meer veranderen" in patient.locator("main").inner_text()
    submit(patient, patient.get_by_role("button", name="Versturen"))

    main = patient.locator("main")
    assert patient.get_by_role("status").inner_text() == "Bedankt. Uw antwoorden zijn verstuurd."
    outcome = patient.get_by_role("region", name="Uitslag")
    assert "Score: 61,5" in outcome.inner_text()
    assert "Niveau 3: Actief aan de slag" in outcome.inner_text()
    assert "U bent al goed bezig met uw gezondheid." in outcome.inner_text()
    assert "Advies voor de ondersteuning" not in main.inner_text()  # that is for the POH
    assert_no_horizontal_scroll(patient)
    submit(patient, patient.get_by_role("link", name="Terug naar vragenlijsten"))
    latest = patient.get_by_role("region", name="Uw laatste uitslag").inner_text()
    assert "Niveau 3 van 4: Actief aan de slag" in latest
    assert "Score 61,5 van 100" in latest

    # The POH, at the desk, opens the patient's self-management page.
    browser_login(page, live_url, world.poh)
    visit(page, f"{live_url}/patienten/{world.patient.id}/zelfmanagement")
    assert page.locator("h1").inner_text() == "Zelfmanagement van Gerda Willemsen"
    card = page.get_by_role("region", name="Activatieniveau en advies").inner_text()
    assert "Niveau 3 van 4: Actief aan de slag" in card
    assert "score 61,5" in card
    assert "Advies voor de ondersteuning" in card
    assert "Laat de patiënt de regie nemen bij het kiezen van doelen en acties." in card
    assert "Standaard evaluatietermijn voor doelen: 13 weken." in card
    history = page.get_by_role("table", name="Ingevulde vragenlijsten, nieuwste eerst")
    row = history.locator("tbody tr").first.inner_text()
    assert "3: Actief aan de slag" in row and "de patiënt" in row
    submit(page, history.get_by_role("link", name="Bekijken"))
    assert "Laat de patiënt de regie nemen" in page.locator("main").inner_text()


def test_patient_leaves_midway_and_resumes_with_answers_kept(phone_page, live_url, world, db):
    page = phone_page
    browser_login(page, live_url, world.patient_user)
    open_questionnaires(page)
    start_activation(page)
    for number in range(1, 5):
        answer(page, number, "Eens")
    submit(page, page.get_by_role("button", name="Volgende"))
    answer(page, 5, "Helemaal eens")
    answer(page, 6, "Niet van toepassing")
    submit(page, page.get_by_role("button", name="Opslaan en later verder"))

    assert page.url == f"{live_url}/vragenlijsten"
    saved = page.get_by_role("status").inner_text()
    assert saved == "Uw antwoorden zijn bewaard. U kunt later verder gaan."
    open_card = page.get_by_role("region", name="Nog in te vullen").locator("li.card")
    assert open_card.count() == 1
    # "Niet van toepassing" is an answer the patient gave; the card says it does not score.
    card = open_card.inner_text()
    assert "6 van de 13 vragen beantwoord" in card
    assert "Bij 1 vraag koos u “niet van toepassing”; die telt niet mee voor de score." in card

    # Leave: log out, come back later and log in again.
    main_menu(page)  # on a phone, logging out is in the menu
    submit(page, page.get_by_role("button", name="Uitloggen"))
    browser_login(page, live_url, world.patient_user)
    open_questionnaires(page)
    open_card = page.get_by_role("region", name="Nog in te vullen").locator("li.card")
    assert "6 van de 13 vragen beantwoord" in open_card.inner_text()
    submit(page, open_card.get_by_role("link", name="Verder invullen"))

    assert "Pagina 1 van 4" in page.locator("main p.meta").first.inner_text()
    for number in range(1, 5):
        assert_answered(page, number, "Eens")
    submit(page, page.get_by_role("button", name="Volgende"))
    assert_answered(page, 5, "Helemaal eens")
    assert_answered(page, 6, "Niet van toepassing")
    for number in (7, 8):
        assert question(page, number).locator("input:checked").count() == 0

    # Starting the questionnaire again resumes the same one; no second draft appears.
    open_questionnaires(page)
    start_activation(page)
    assert_answered(page, 1, "Eens")
    open_questionnaires(page)
    assert page.get_by_role("region", name="Nog in te vullen").locator("li.card").count() == 1
