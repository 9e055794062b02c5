"""Daily jobs of the outcomes: the night's snapshot of the comparison groups
(``outcomes.snapshot``, before the other nightly jobs), and reminders to patients whose
well-being or symptom questionnaire (the outcome sets' PROMs) is due.

The PROM follows the programme's assessment schedule: the care group's interval after the last
completed one, or the enrolment start when there is none (``due_assessments``), for patients
enrolled in a programme whose outcome set asks it. Once per patient and due date.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from zelfzorg.assessment.instruments import InstrumentKind, builtin_instruments
from zelfzorg.assessment.jobs import send_due_reminders
from zelfzorg.assessment.services import due_assessments
from zelfzorg.errors import N_
from zelfzorg.notifications.jobs import register_job
from zelfzorg.outcomes.sets import outcome_sets
from zelfzorg.outcomes.snapshot import JOB_NAME as SNAPSHOT_JOB_NAME
from zelfzorg.outcomes.snapshot import take_missing

JOB_NAME = "wellbeing_due_reminders"
KIND = "wellbeing_due"
MESSAGE = N_("Het is tijd om de vragenlijst over hoe u zich voelt in te vullen.")


def prom_programmes(kind: InstrumentKind = InstrumentKind.WELL_BEING):
    """The programmes whose outcome set asks a questionnaire of ``kind``."""
    instruments = builtin_instruments()
    return sorted(
        programme
        for programme, outcome_set in outcome_sets().items()
        if any(instruments[code].kind is kind for code in outcome_set.proms)
    )


def remind_due_wellbeing(session: Session, today: date) -> str:
    due = due_assessments(
        session,
        today=today,
        horizon_days=0,
        kind=InstrumentKind.WELL_BEING,
        programmes=prom_programmes(),
    )
    return send_due_reminders(session, due, kind=KIND, message=MESSAGE, what="well-being")


register_job(JOB_NAME, remind_due_wellbeing)

SYMPTOMS_JOB_NAME = "symptom_diary_due_reminders"
SYMPTOMS_KIND = "symptoms_due"
SYMPTOMS_MESSAGE = N_("Het is tijd om de vragenlijst over uw klachten in te vullen.")


def remind_due_symptoms(session: Session, today: date) -> str:
    """The same for the symptom PROM (heart failure's symptom diary), on the same schedule."""
    due = due_assessments(
        session,
        today=today,
        horizon_days=0,
        kind=InstrumentKind.SYMPTOMS,
        programmes=prom_programmes(InstrumentKind.SYMPTOMS),
    )
    return send_due_reminders(
        session, due, kind=SYMPTOMS_KIND, message=SYMPTOMS_MESSAGE, what="symptom diary"
    )


register_job(SYMPTOMS_JOB_NAME, remind_due_symptoms)

# At 01:00, after the day has begun: the day's screens read the comparable patients from it.
register_job(SNAPSHOT_JOB_NAME, take_missing, hour=1)
