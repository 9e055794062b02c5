"""Contracting in real Chromium: a care-group user opens the report, reads why a condition is
(not) met, drills down to an indicator and downloads the CSV; a POH opens the practice report.
axe checks every page."""

from __future__ import annotations

from datetime import date

from tests.browser.conftest import browser_login, submit, visit
from tests.contracting.helpers import add_goal
from zelfzorg.contracting import records


def test_caregroup_reads_the_report_drills_down_and_downloads(page, live_url, world, db):
    add_goal(db, world.patient, [("active", date(2024, 1, 1), None)], agreed_on=date(2024, 1, 1))
    records.create_contract(db, world.actor(world.caregroup_user), insurer="VGZ", year=2025)
    db.commit()

    browser_login(page, live_url, world.caregroup_user)
    visit(page, f"{live_url}/zorggroep/rapportage?van=2025-01-01&tot=2025-12-31")
    main = page.locator("main").inner_text()
    assert "Contract: VGZ 2025" in main
    assert "33,3%" in main  # I1: 1 of the 3 patients has an agreed, running goal
    for patient in (world.patient, world.other_patient, world.far_patient):
        assert patient.family_name not in page.content()

    submit(page, page.get_by_role("link", name="I1", exact=True))
    assert "/zorggroep/rapportage/indicator/I1" in page.url
    assert page.locator("svg").count() >= 1  # the funnel plot

    visit(page, f"{live_url}/zorggroep/rapportage?van=2025-01-01&tot=2025-12-31")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV (Nederlandse Excel)").click()
    first_line = download.value.path().read_bytes().splitlines()[0]
    assert first_line.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    assert b";" in first_line


def test_poh_sees_the_practice_report_and_the_patients_to_act_on(page, live_url, world, db):
    add_goal(db, world.patient, [("active", date(2024, 1, 1), None)], agreed_on=date(2024, 1, 1))
    db.commit()
    browser_login(page, live_url, world.poh)
    visit(page, f"{live_url}/praktijk/rapportage?van=2025-01-01&tot=2025-12-31")
    main = page.locator("main").inner_text()
    assert world.other_patient.family_name in main  # no agreed goal yet: to act on for I1
    assert world.far_patient.family_name not in main  # a patient of another practice
