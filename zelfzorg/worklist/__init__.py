"""The professional's worklist: what in the practice needs attention, ranked.

Domains contribute *sources*: functions that return :class:`WorklistItem` rows for a set of
practices (a professional may work for several) with a constant number of queries (never one
query per patient). A patient counts for the practice of today by the practice history
(``patients.population``). The worklist view merges, ranks and filters them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session


@dataclass(frozen=True)
class WorklistItem:
    patient_id: int
    patient_name: str
    kind: str  # filter key, e.g. "urgent_alert", "review_due"
    rank: int  # lower is more urgent; see RANKS
    message: str  # Dutch msgid, translated by the view
    params: dict = field(default_factory=dict)
    endpoint: str = "patients.detail"  # where to act
    endpoint_args: dict = field(default_factory=dict)
    due: date | datetime | None = None
    practice_id: int | None = None  # the patient's practice, shown when the actor has several


# Ranking of the kinds of work, most urgent first.
RANKS = {
    "urgent_alert": 10,
    "trend_alert": 20,
    "review_due": 30,
    "assessment_due": 40,
    "no_plan": 50,
    "no_agreed_goals": 55,
    "referral_waiting": 60,
}

Source = Callable[[Session, Collection[int], date], list[WorklistItem]]
SOURCES: dict[str, Source] = {}
KIND_LABELS: dict[str, str] = {}


def register_source(name: str, source: Source, kinds: dict[str, str]) -> None:
    """Add a source; ``kinds`` maps each kind it yields to a Dutch label msgid."""
    SOURCES[name] = source
    KIND_LABELS.update(kinds)


def collect(
    session: Session, practice_ids: Collection[int], today: date, kinds: set[str] | None = None
) -> list[WorklistItem]:
    """The work of the patients who belong to one of ``practice_ids`` today."""
    practice_ids = sorted(practice_ids)
    items: list[WorklistItem] = []
    if not practice_ids:
        return items
    for source in SOURCES.values():
        items.extend(source(session, practice_ids, today))
    if kinds:
        items = [i for i in items if i.kind in kinds]
    far = date.max

    def due_key(item: WorklistItem) -> date:
        if item.due is None:
            return far
        return item.due.date() if isinstance(item.due, datetime) else item.due

    return sorted(items, key=lambda i: (i.rank, due_key(i), i.patient_name, i.patient_id))
