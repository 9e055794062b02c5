"""Telemonitoring flows in real Chromium: the patient enters a blood pressure on a phone (an
impossible one is refused, an urgent one is stored), then the POH finds the urgent alert on the
worklist, looks at the chart and its table, and acknowledges the alert with a note. axe checks
every page, the chart page included (SVG with title/desc plus the same data as a table)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import col, func, select

from tests.browser.conftest import browser_login, main_menu, submit, visit
from tests.browser.test_foundation_flows import assert_no_horizontal_scroll
from zelfzorg.telemonitoring import services
from zelfzorg.telemonitoring.models import Alert, Measurement


def stored_measurements(db) -> int:
    count = db.exec(select(func.count()).select_from(Measurement)).one()
    db.commit()  # end the read transaction: the live server shares the database
    return count


def open_alerts(db) -> list[Alert]:
    query = select(Alert).where(Alert.status == "open").order_by(col(Alert.id))
    rows = list(db.exec(query.execution_options(populate_existing=True)))
    db.commit()
    return rows


def enter_blood_pressure(page, systolic: str, diastolic: str) -> None:
    bp = page.get_by_role("group", name="Bloeddruk")
    bp.get_by_label("Bovendruk").fill(systolic)
    bp.get_by_label("Onderdruk").fill(diastolic)
    submit(page, page.get_by_role("button", name="Opslaan"))


def test_patient_enters_blood_pressure_on_phone_refused_then_urgent(
    phone_page, live_url, world, db
):
    page = phone_page
    browser_login(page, live_url, world.patient_user)
    nav = main_menu(page)
    submit(page, nav.get_by_role("link", name="Mijn metingen"))
    assert page.locator("h1").inner_text() == "Mijn metingen"
    assert "Nog geen metingen." in page.locator("main").inner_text()

    submit(page, page.get_by_role("link", name="Meting invoeren"))
    assert page.locator("h1").inner_text() == "Meting invoeren"
    assert page.get_by_label("Datum").input_value()  # now, filled in for the patient
    assert_no_horizontal_scroll(page)

    # An impossible systolic value: a clear message at the field, nothing stored.
    enter_blood_pressure(page, "400", "80")
    assert page.url == f"{live_url}/mijn/metingen/nieuw"
    assert "Niet opgeslagen" in page.get_by_role("alert").inner_text()
    systolic = page.get_by_label("Bovendruk")
    assert systolic.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{systolic.get_attribute('aria-describedby')}").inner_text()
    assert "400 mmHg kan niet kloppen" in message
    assert systolic.input_value() == "400"  # kept, so the patient can correct it
    assert stored_measurements(db) == 0
    assert_no_horizontal_scroll(page)

    # Urgent but plausible: stored, and the overview shows it.
    enter_blood_pressure(page, "190", "95")
    assert page.url == f"{live_url}/mijn/metingen"
    assert "Uw meting is opgeslagen." in page.locator("main").inner_text()
    latest = page.get_by_role("table", name="Laatste waarde per meting, met streefdoel")
    row = latest.get_by_role("row").filter(has_text="Bovendruk")
    assert "190 mmHg" in row.inner_text() and "buiten streefdoel" in row.inner_text()
    assert stored_measurements(db) >= 2
    [alert] = open_alerts(db)
    assert alert.severity == "urgent" and alert.type_code == "bp_systolic"
    assert_no_horizontal_scroll(page)

    # The patient's own chart page: SVG with title and desc, and the table view.
    submit(page, latest.get_by_role("link", name="Grafiek Bovendruk"))
    svg = page.locator("figure.tm-chart:visible svg[role=img]")
    assert svg.locator("title").first.text_content() == "Bovendruk"
    assert (svg.locator("desc").first.text_content() or "").strip()
    assert "190" in page.get_by_role("table").inner_text()


def test_poh_acknowledges_urgent_alert_from_the_worklist(page, live_url, world, db):
    # Arrange: the patient's urgent blood pressure (entered through the form in the test above).
    now = datetime.now(UTC)
    services.record_readings(
        db,
        world.actor(world.patient_user),
        world.patient.id,
        services.ReadingsInput(
            values={"systolic": "190", "diastolic": "95"}, measured_at=now - timedelta(hours=1)
        ),
        now=now,
    )
    db.commit()
    [alert] = open_alerts(db)

    browser_login(page, live_url, world.poh)
    assert page.url == f"{live_url}/werklijst"
    worklist = page.locator("ol.worklist")
    # One line for the patient, the urgent alert as its first reason.
    item = worklist.locator("> li").filter(has_text="Gerda Willemsen")
    assert item.count() == 1
    assert "Dringend signaal" in item.inner_text() and "Bovendruk" in item.inner_text()

    submit(page, item.locator("li.reason-urgent_alert").get_by_role("link"))
    assert page.url == f"{live_url}/signalen/{alert.id}"
    assert page.locator("h1").inner_text() == "Dringend signaal: Gerda Willemsen"
    facts = page.locator("dl.tm-facts").inner_text()
    assert "190 mmHg" in facts and "Open" in facts

    # The chart for this patient, with its table view.
    submit(page, page.get_by_role("link", name="Grafiek bekijken"))
    assert page.url.startswith(f"{live_url}/patienten/{world.patient.id}/metingen/grafiek/")
    assert page.locator("h1").inner_text() == "Bovendruk: Gerda Willemsen"
    svg = page.locator("figure.tm-chart:visible svg[role=img]")
    labelled_by = svg.get_attribute("aria-labelledby").split()
    assert [page.locator(f"[id='{i}']").evaluate("e => e.tagName") for i in labelled_by] == [
        "title",
        "desc",
    ]
    table = page.get_by_role("table")
    assert "190" in table.get_by_role("row").nth(1).inner_text()

    # Back through the patient's measurements to the alert, and acknowledge it.
    submit(page, page.get_by_role("link", name="Terug naar de metingen van Gerda Willemsen"))
    signals = page.get_by_role("region", name="Signalen")
    submit(page, signals.get_by_role("link", name="Bekijken en afhandelen"))
    assert page.url == f"{live_url}/signalen/{alert.id}"

    submit(page, page.get_by_role("button", name="Signaal afhandelen"))  # no note yet
    note = page.get_by_label("Wat heeft u gedaan?")
    assert note.get_attribute("aria-invalid") == "true"
    assert "Schrijf kort op" in page.locator("main").inner_text()
    assert len(open_alerts(db)) == 1

    note.fill("Patiënt gebeld, controle over een week.")
    submit(page, page.get_by_role("button", name="Signaal afhandelen"))
    assert page.url == f"{live_url}/werklijst"
    assert "Het signaal is afgehandeld." in page.locator("main").inner_text()
    assert page.locator(f"main a[href='/signalen/{alert.id}']").count() == 0
    assert worklist.locator("li.reason-urgent_alert").count() == 0
    assert open_alerts(db) == []

    visit(page, f"{live_url}/signalen/{alert.id}")
    facts = page.locator("dl.tm-facts").inner_text()
    assert "Afgehandeld door Sanne POH" in facts
    assert "Patiënt gebeld, controle over een week." in facts
    assert page.get_by_role("button", name="Signaal afhandelen").count() == 0
