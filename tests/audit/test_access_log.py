"""'Wie bekeek mijn gegevens' (issue 15, part 3) and the administrator's audit filters by name.

The patient's page groups the log by day and person, in plain words (which part of the
record, which care provider of which practice), leaves the patient's own visits out unless
asked, and pages in SQL by entry id. The administrator filters by user name or e-mail and by
patient name instead of internal numbers; the CSV keeps its machine columns and adds plain ones.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event
from sqlmodel import Session, select

from zelfzorg.audit.models import AuditAction, AuditEntry, AuditOutcome
from zelfzorg.audit.services import AuditSubject, access_log_for_patient, record, search_entries

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def subject(user, organisation: str) -> AuditSubject:
    return AuditSubject(user.id, user.name, str(user.role), organisation, "10.0.0.1")


def log(
    engine,
    who: AuditSubject,
    patient_id,
    object_type,
    *,
    at=AT,
    action=AuditAction.read,
    outcome=AuditOutcome.allowed,
    times=1,
):
    with Session(engine) as session:
        for i in range(times):
            record(
                session,
                who,
                action=action,
                object_type=object_type,
                patient_id=patient_id,
                outcome=outcome,
                at=at + timedelta(minutes=i),
            )
        session.commit()


def visits(html: str) -> list[str]:
    return re.findall(r'<li class="card">.*?</ul>\s*</li>', html, re.S)


def test_visits_are_grouped_by_day_and_person_in_plain_words(engine, world, login):
    sanne = subject(world.poh, f"practice:{world.practice.id}")
    log(engine, sanne, world.patient.id, "LifestyleReferral", at=AT - timedelta(days=1))
    log(engine, sanne, world.patient.id, "Goal", times=3)
    log(engine, sanne, world.patient.id, "AssessmentResponse", action=AuditAction.update)
    page = login(world.patient_user).get("/mijn/toegang")
    assert page.status_code == 200
    html = page.text
    days = re.findall(r'<h2 class="access-day">(.*?)</h2>', html)
    assert days == ["vrijdag 20 november 2026", "donderdag 19 november 2026"]
    found = visits(html)
    assert len(found) == 2  # one person, two days
    today, yesterday = found
    assert "Sanne POH" in today and "Praktijkondersteuner (POH), De Linde" in today
    assert "Doel in het zorgplan: bekeken (3 keer)" in today
    assert "Vragenlijst: gewijzigd" in today
    assert "Verwijzing naar een leefstijlprogramma: bekeken" in yesterday
    for raw in ("Goal", "AssessmentResponse", "LifestyleReferral", "practice:", "read"):
        assert raw not in "".join(found)


def test_the_page_reads_english_with_british_dates(engine, db, world, login):
    log(engine, subject(world.poh, f"practice:{world.practice.id}"), world.patient.id, "Goal")
    world.patient_user.locale = "en"
    db.add(world.patient_user)
    db.commit()
    html = login(world.patient_user).get("/mijn/toegang").text
    assert "Friday, 20 November 2026" in html  # day-month-year, not November 20
    assert "Goal in the care plan: viewed" in html


def test_own_visits_are_hidden_unless_asked(engine, world, login):
    own = subject(world.patient_user, f"practice:{world.practice.id}")
    log(engine, own, world.patient.id, "Measurement", times=4)
    client = login(world.patient_user)
    hidden = client.get("/mijn/toegang").text
    assert "U zelf" not in hidden
    assert "Nog geen zorgverlener heeft uw gegevens bekeken." in hidden
    assert "Toon ook mijn eigen bezoeken" in hidden
    shown = client.get("/mijn/toegang", query_string={"eigen": "1"}).text
    assert "U zelf" in shown and "Metingen: bekeken (4 keer)" in shown
    assert "Verberg mijn eigen bezoeken" in shown


def test_another_patients_log_is_not_shown(engine, world, login):
    sanne = subject(world.poh, f"practice:{world.practice.id}")
    log(engine, sanne, world.other_patient.id, "CarePlan")
    html = login(world.patient_user).get("/mijn/toegang").text
    assert "Sanne POH" not in html and "Zorgplan" not in html
    other = login(world.other_patient_user).get("/mijn/toegang").text
    assert "Sanne POH" in other and "Zorgplan: bekeken" in other


def test_pages_in_sql_by_entry_id_without_gaps_or_overlap(engine, db, world):
    sanne = subject(world.poh, f"practice:{world.practice.id}")
    for day in reversed(range(25)):  # oldest first: ids follow time
        log(engine, sanne, world.patient.id, "Goal", at=AT - timedelta(days=day))
    seen_days: list[date] = []
    before = None
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        pages = 0
        while True:
            page = access_log_for_patient(
                db, world.patient.id, world.patient_user.id, before_id=before, page_size=10
            )
            pages += 1
            seen_days += [v.day for v in page.visits]
            if page.next_before is None:
                break
            before = page.next_before
    finally:
        event.remove(engine, "before_cursor_execute", count)
    db.commit()
    assert pages == 3
    assert seen_days == [(AT - timedelta(days=d)).date() for d in range(25)]
    entry_reads = [s for s in statements if "FROM audit_entry" in s]
    assert len(entry_reads) == 3 and all("LIMIT" in s.upper() for s in entry_reads)


def test_the_page_links_to_older_visits_and_refuses_a_bad_cursor(engine, world, login):
    sanne = subject(world.poh, f"practice:{world.practice.id}")
    for day in reversed(range(105)):
        log(engine, sanne, world.patient.id, "Goal", at=AT - timedelta(days=day))
    client = login(world.patient_user)
    first = client.get("/mijn/toegang").text
    assert len(visits(first)) == 100
    link = re.search(r'href="(/mijn/toegang\?voor=\d+)"', first)
    assert link and "Oudere bezoeken" in first
    second = client.get(link.group(1).replace("&amp;", "&")).text
    assert len(visits(second)) == 5 and "Naar het nieuwste" in second
    assert "Oudere bezoeken" not in second
    assert client.get("/mijn/toegang", query_string={"voor": "abc"}).status_code == 400


def test_admin_filters_by_user_name_or_email(engine, db, world, login):
    log(engine, subject(world.poh, "practice:1"), world.patient.id, "Goal")
    log(engine, subject(world.other_poh, "practice:2"), world.far_patient.id, "Measurement")
    client = login(world.admin)
    by_name = client.get("/beheer/audit", query_string={"gebruiker": "sanne"}).text
    assert "Sanne POH" in by_name and "Ricardo POH" not in by_name
    by_mail = client.get("/beheer/audit", query_string={"gebruiker": world.other_poh.email}).text
    assert "Ricardo POH" in by_mail and "Sanne POH" not in by_mail
    wildcard = client.get("/beheer/audit", query_string={"gebruiker": "%"}).text
    assert "Geen regels gevonden." in wildcard  # % is a character, not a wildcard


def test_admin_filters_by_patient_name_and_the_search_is_audited(engine, db, world, login):
    log(engine, subject(world.poh, "practice:1"), world.patient.id, "Goal")
    log(engine, subject(world.poh, "practice:1"), world.other_patient.id, "CarePlan")
    response = login(world.admin).get("/beheer/audit", query_string={"patient": "willems"})
    assert response.status_code == 200
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", response.text, re.S)
    assert rows and all(f"<td>{world.patient.id}</td>" in r for r in rows)
    assert not any("Zorgplan" in r for r in rows)
    search = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.search, AuditEntry.user_id == world.admin.id
        )
    ).all()
    db.commit()
    assert search and "willems" not in search[-1].detail  # the length, never the name


def test_a_patient_name_does_not_find_their_own_account_as_user(engine, db, world):
    log(engine, subject(world.patient_user, "practice:1"), world.patient.id, "Goal")
    world.patient_user.name = "Gerda Willemsen"
    db.add(world.patient_user)
    db.commit()
    assert search_entries(db, user="willemsen") == []
    db.commit()


def test_admin_table_and_csv_speak_plain_words(engine, world, login):
    log(engine, subject(world.poh, "practice:1"), world.patient.id, "LifestyleReferral")
    log(
        engine,
        subject(world.other_poh, "practice:2"),
        world.patient.id,
        "Patient",
        outcome=AuditOutcome.denied,
    )
    client = login(world.admin)
    html = client.get("/beheer/audit").text
    assert "Verwijzing naar een leefstijlprogramma" in html and "LifestyleReferral" not in html
    assert "Zorgverlener" in html and "geweigerd" in html and "toegestaan" in html
    assert ">read<" not in html and ">allowed<" not in html
    assert "Patiëntnummer" in html and 'name="patient_id"' not in html
    body = client.get("/beheer/audit.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    assert header[:4] == ["id (code)", "time (code)", "user_id (code)", "Wie"]
    assert header[-4:] == ["Rol", "Wat", "Actie", "Uitkomst"]
    kind = header.index("object_type (code)")
    referral = next(r for r in rows[1:] if r[kind] == "LifestyleReferral")
    assert referral[header.index("action (code)")] == "read"
    assert referral[-4:] == [
        "Zorgverlener",
        "verwijzing naar een leefstijlprogramma",
        "bekeken",
        "toegestaan",
    ]


def test_an_entry_without_a_person_reads_as_unknown(engine, world, login):
    job = AuditSubject(None, "", "", "platform", "")
    log(engine, job, world.patient.id, "Measurement")
    html = login(world.patient_user).get("/mijn/toegang").text
    (visit,) = visits(html)
    assert "<strong>Onbekend</strong>" in visit and "Metingen: bekeken" in visit
    assert "Content-Type" not in html and "()" not in visit  # no catalog header, no empty ()
