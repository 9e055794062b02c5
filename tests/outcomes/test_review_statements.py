"""The review screen opens with its outcome block at a constant cost: the same statements for a
comparison group of 20 and of 80 (with "patients like me" goals), through HTTP as the POH does
it. The benchmark's scenario "outcome comparison with the review screen" times the same page."""

from __future__ import annotations

from datetime import timedelta

from tests.izp.helpers import active_goal
from tests.outcomes.helpers import goal, measure, peers, questionnaire
from tests.queries import count_statements
from zelfzorg.models_base import utcnow
from zelfzorg.patients.models import Programme


def _grow(db, world, n: int) -> None:
    """``n`` more comparable patients in DM2 and CVRM with recent values, and as many with
    a similar goal started 500 days ago."""
    recent = utcnow() - timedelta(days=20)
    start = utcnow() - timedelta(days=500)
    both = (Programme.DM2, Programme.CVRM)
    for index in range(n):
        (peer,) = peers(db, world.practice, [50 + index % 30], at=recent, programmes=both)
        measure(db, peer, 120 + index % 40, code="bp_systolic", at=recent)
        measure(db, peer, 2 + index % 3, code="ldl", at=recent)
        questionnaire(db, peer, 40 + index % 50, at=recent)
        goal(db, peer, created=start)
        measure(db, peer, 130 + index % 20, code="bp_systolic", at=start + timedelta(days=60))
    db.commit()


def test_review_screen_statements_do_not_grow_with_the_comparison_group(
    db, world, login, engine
) -> None:
    measure(db, world.patient, 48, at=utcnow() - timedelta(days=5))
    reviewed = active_goal(db, world)
    db.commit()
    client = login(world.poh)
    url = f"/doelen/{reviewed.id}/evaluatie"

    def statements() -> tuple[int, str]:
        client.get(url)  # warm: caches and the session's first touches
        with count_statements(engine) as seen:
            html = client.get(url).get_data(as_text=True)
        return len(seen), html

    _grow(db, world, 20)
    small, small_html = statements()
    _grow(db, world, 60)
    large, large_html = statements()
    assert small == large, (small, large)
    # Both sizes compare (at least 20) and say "patients like me".
    for html in (small_html, large_html):
        assert "percentiel" in html and "Patiënten zoals deze" in html
    assert "Ongeveer" in large_html
