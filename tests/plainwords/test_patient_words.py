"""Patient pages speak to the patient and explain their jargon where it stands (issue 15, part
2: "Patiënt is akkoord", "Waardering door de patiënt"; "Cardiovasculair risicomanagement",
"Hoofdbehandelaar", "SEMCD-6" without explanation).

Every page and PDF the patient persona may open (the access matrix's routes, as the plain-words
crawler) is read as visible text, in Dutch: no sentence about "de patiënt" in the third person,
and each jargon term shown comes with its plain explanation on the same page.
"""

from __future__ import annotations

import re

from flask_babel import force_locale

from tests.izp.helpers import active_goal
from tests.plainwords.checks import visible_text
from tests.plainwords.test_downloads import download_urls, pdf_lines
from tests.plainwords.test_pages import _names
from tests.security.crawl import page_urls
from zelfzorg.assessment.forms import INSTRUMENT_ABOUT
from zelfzorg.patients.forms import (
    CARE_TEAM_EXPLANATIONS,
    CARE_TEAM_LABELS,
    PROGRAMME_EXPLANATIONS,
    PROGRAMME_LABELS,
)
from zelfzorg.patients.models import CareTeamMember, CareTeamRole, Programme

# The patient in the third person, as staff would write about them.
THIRD_PERSON = re.compile(
    r"\b(?:de|door|van|voor|aan) (?:de )?patiënt\b(?!en)|\bpatiënt (?:is|heeft|wil|kan|moet)\b",
    re.IGNORECASE,
)


def jargon(app) -> dict[str, str]:
    """Term -> (the start of) its explanation, in Dutch. The jargon the issue found; "Astma",
    "Hartfalen", "Diabetes type 2" and "Contactpersoon" are words a B1 reader knows."""
    with app.test_request_context(), force_locale("nl"):
        terms = {
            str(PROGRAMME_LABELS[Programme.CVRM]): str(PROGRAMME_EXPLANATIONS[Programme.CVRM]),
            str(CARE_TEAM_LABELS[CareTeamRole.hoofdbehandelaar]): str(
                CARE_TEAM_EXPLANATIONS[CareTeamRole.hoofdbehandelaar]
            ),
            "SEMCD-6": str(INSTRUMENT_ABOUT["semcd6"]),
        }
    # Explanations may be split over elements; the first sentence is enough to find.
    return {term: text.split(". ")[0] for term, text in terms.items()}


def third_person(chunks: list[str]) -> list[str]:
    return [c for c in chunks if THIRD_PERSON.search(c)]


def unexplained(text: str, terms: dict[str, str]) -> list[str]:
    return [t for t, why in terms.items() if shows(text, t) and why not in text]


def shows(text: str, term: str) -> bool:
    return re.search(rf"\b{re.escape(term)}\b", text, re.IGNORECASE) is not None


def test_patient_pages_speak_to_the_patient_and_explain_jargon(app, world, db, login):
    active_goal(db, world)
    for role in (CareTeamRole.hoofdbehandelaar, CareTeamRole.contactpersoon):
        db.add(CareTeamMember(patient_id=world.patient.id, user_id=world.poh.id, role=role))
    db.commit()
    client = login(world.patient_user)
    terms = jargon(app)
    names = _names(db)
    bad: dict[str, list[str]] = {}
    shown: set[str] = set()
    pages = 0
    for url, data in page_urls(app, world, db, "patient"):
        response = client.get(url, query_string=data)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages += 1
        chunks = visible_text(response.get_data(as_text=True))
        text = " ".join(chunks)
        shown |= {t for t in terms if shows(text, t)}
        found = [f"third person: {c!r}" for c in third_person(chunks)]
        found += [f"unexplained: {t!r}" for t in unexplained(text, terms)]
        if found:
            bad[url] = found
    for _endpoint, url, data in download_urls(app, world, db, "patient", "nl"):
        response = client.get(url, query_string=data)
        if response.mimetype == "application/pdf":
            lines = pdf_lines(response.get_data(), names)
            if found := [f"third person: {c!r}" for c in third_person(lines)]:
                bad[url] = found
    assert pages > 15
    # The world shows the patient their programme, care team and questionnaires.
    assert {"Cardiovasculair risicomanagement", "Hoofdbehandelaar"} <= shown
    assert not bad, "\n".join(f"{u}\n    " + "\n    ".join(f) for u, f in sorted(bad.items()))


def test_the_checks_find_what_the_issue_found():
    assert third_person(["Patiënt is akkoord.", "Waardering door de patiënt"]) == [
        "Patiënt is akkoord.",
        "Waardering door de patiënt",
    ]
    assert third_person(["U bent akkoord.", "De Patiëntenfederatie helpt u."]) == []
    terms = {"SEMCD-6": "Zes vragen over hoeveel vertrouwen"}
    assert unexplained("Vragenlijst SEMCD-6", terms) == ["SEMCD-6"]
    assert unexplained("SEMCD-6. Zes vragen over hoeveel vertrouwen u heeft", terms) == []
