"""The demo's worklist as the issue found it (issue 15, "Found"): one line per patient (not per
alert), tags in the singular, no questionnaire reminder overdue for years, and no reason text
that repeats itself ("BMI 28,7 (21-11-2026); BMI 28,7 (21-11-2026)").

Read through the worklist service and the page the demo POH opens, every page of it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from sqlmodel import select

from tests.plainwords.checks import visible_text
from zelfzorg.accounts.models import Practice, User
from zelfzorg.demo import seed_demo
from zelfzorg.web import today
from zelfzorg.worklist import KIND_LABELS, worklist_page

# The demo's history goes back a few years; what falls due (a questionnaire, a review) is
# overdue by at most a year. Other kinds date the reason's start ("waiting since").
OLDEST_DUE = timedelta(days=366)
DUE_KINDS = {"assessment_due", "review_due"}


def _day(value: date | datetime | None) -> date | None:
    return value.date() if isinstance(value, datetime) else value


def repeated_parts(text: str) -> list[str]:
    """Parts of a "; "-separated text that occur more than once."""
    parts = [p.strip() for p in text.split(";") if p.strip()]
    return sorted({p for p in parts if parts.count(p) > 1})


def test_the_demo_worklist_is_one_line_per_patient_without_stale_or_repeated_reasons(
    app, db, login
):
    logins = seed_demo(db, n_patients=12, progress=lambda _msg: None)
    db.commit()
    practice_ids = list(db.exec(select(Practice.id)).all())
    day = today()
    with app.test_request_context():
        result = worklist_page(db, practice_ids, day, page_size=None)
    db.commit()
    assert result.rows, "the demo gives the POH work"
    patients = [row.patient_id for row in result.rows]
    assert len(patients) == len(set(patients))  # one line per patient
    stale = [
        (row.patient_name, item.kind, item.due)
        for row in result.rows
        for item in row.items
        if item.kind in DUE_KINDS and item.due and _day(item.due) < day - OLDEST_DUE
    ]
    assert not stale, stale
    assert DUE_KINDS <= {item.kind for row in result.rows for item in row.items}

    poh_email = next(d.email for d in logins if d.role == "professional")
    poh = db.exec(select(User).where(User.email == poh_email)).one()
    db.commit()
    client = login(poh)
    page, shown, tags = 1, [], set()
    while True:
        html = client.get(f"/werklijst?page={page}").get_data(as_text=True)
        rows = re.findall(r'<li class="kind-[^"]*">(.*?)</ul>\s*</li>', html, re.S)
        shown += [re.search(r'href="/patienten/(\d+)"', row).group(1) for row in rows]  # type: ignore[union-attr]
        tags |= set(re.findall(r'<span class="tag">([^<]+)</span>', html))
        for row in rows:
            for reason in re.findall(r'<li class="reason-[^"]*">(.*?)</li>', row, re.S):
                text = " ".join(visible_text(reason))
                assert not repeated_parts(text), text
        if f"page={page + 1}" not in html:
            break
        page += 1
    assert shown and len(shown) == len(set(shown))  # one line per patient on the page too
    with app.test_request_context():
        singular = {str(label) for label in KIND_LABELS.values()}
    assert tags and tags <= singular, tags - singular
    assert "Trendsignalen" not in tags and "Dringende signalen" not in tags


def test_repeated_parts_finds_the_issues_example():
    assert repeated_parts("BMI 28,7 (21-11-2026); BMI 28,7 (21-11-2026)") == [
        "BMI 28,7 (21-11-2026)"
    ]
    assert repeated_parts("BMI 28,7 (21-11-2026); rookt") == []
