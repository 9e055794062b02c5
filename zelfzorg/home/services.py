"""The view model of the patient's home page: each item says what it is about and the one
thing to do about it (an ``Action``: a Dutch label and an endpoint, the web layer builds the
URL). The template only shows it.

Everything comes from the signed-in patient's own record: the record is loaded once through
the access layer (one audit entry), and every query below is narrowed to that patient's id
(notifications to the patient's own account).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from zelfzorg.accounts.models import Practice
from zelfzorg.accounts.practices import tel_href
from zelfzorg.accounts.scope import Actor, get_patient_for
from zelfzorg.assessment.instruments import InstrumentKind
from zelfzorg.assessment.models import AssessmentResponse, InstrumentVersion, ResponseStatus
from zelfzorg.assessment.services import due_assessments
from zelfzorg.assessment.versions import definition_of
from zelfzorg.errors import N_, Forbidden
from zelfzorg.izp.models import CarePlan, Goal, GoalReview
from zelfzorg.izp.pages import goal_state
from zelfzorg.izp.pdca import is_closed, is_reviewable
from zelfzorg.notifications.models import Notification
from zelfzorg.notifications.services import unread_count
from zelfzorg.patients.models import Patient
from zelfzorg.patients.services import PatientRecord, load_record
from zelfzorg.telemonitoring.models import Measurement
from zelfzorg.telemonitoring.rules import Target
from zelfzorg.telemonitoring.services import latest_values
from zelfzorg.telemonitoring.targets import effective_targets
from zelfzorg.telemonitoring.types import MeasurementType, load_types
from zelfzorg.texts import Text

OBJECT = "PatientHome"
#: A review or questionnaire this close is something to prepare for now.
SOON = timedelta(days=14)
#: The home page shows a few latest values and notifications; the full lists are a tap away.
MAX_VALUES = 6
MAX_NOTIFICATIONS = 3


@dataclass(frozen=True)
class Action:
    """One clear thing to do: a Dutch msgid for the button and where it goes."""

    label: str
    endpoint: str
    params: dict[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class NextReview:
    day: date
    goal_title: str | None  # None: the review of the whole plan
    overdue: bool
    action: Action
    prepared: bool = False  # the patient already told how it went


@dataclass(frozen=True)
class OpenQuestionnaire:
    title: Text
    started: bool  # some answers given already
    due: date | None  # the planned date of a questionnaire not started yet
    action: Action


@dataclass(frozen=True)
class LatestValue:
    mtype: MeasurementType
    measurement: Measurement
    target: Target | None
    on_target: bool | None  # None: no target for this type
    action: Action


@dataclass(frozen=True)
class GoalToUpdate:
    goal_id: int
    title: str
    reason: str  # "agree": the patient's agreement is missing; "prepare": review coming up
    review_date: date | None
    action: Action


@dataclass(frozen=True)
class PracticeContact:
    name: str
    phone: str  # '' when the practice has not filled it in
    tel: str  # the tel: link, '' without a phone number


@dataclass(frozen=True)
class PatientHome:
    patient: Patient
    record: PatientRecord  # programmes and care team
    practice: PracticeContact
    next_review: NextReview | None
    questionnaires: list[OpenQuestionnaire]
    latest_values: list[LatestValue]
    goals: list[GoalToUpdate]
    unread: int
    notifications: list[Notification]  # the newest unread ones
    # The actions of the sections themselves (also what an empty section offers).
    enter_measurement: Action = Action(N_("Meting invoeren"), "telemonitoring.my_entry")
    open_plan: Action = Action(N_("Naar mijn plan"), "izp.my_plan")
    open_notifications: Action = Action(N_("Meldingen bekijken"), "notifications.index")
    open_questionnaires: Action = Action(N_("Naar de vragenlijsten"), "assessment.mine")

    @property
    def todo_count(self) -> int:
        """How many things ask for the patient's action (for the page's opening line)."""
        review = self.next_review
        # A review asks for action when it is past, or when there is one to prepare (a goal's
        # review within two weeks is also in ``goals``: counted once).
        review_soon = review is not None and review.overdue and review.goal_title is None
        return len(self.questionnaires) + len(self.goals) + self.unread + int(review_soon)


def patient_home(
    session: Session, actor: Actor, *, today: date, unread: int | None = None
) -> PatientHome:
    """The home page of the signed-in patient (patients only: it is their own record).
    ``unread``: the unread notifications when the caller counted them already (the web
    counts them with the signed-in user)."""
    if not actor.is_patient or actor.user.patient_id is None:
        raise Forbidden(N_("Deze pagina is voor patiënten."))
    patient = get_patient_for(session, actor, actor.user.patient_id, object_type=OBJECT)
    assert patient.id is not None
    practice = session.get(Practice, patient.practice_id)
    phone = practice.phone if practice else ""
    goals = _goals(session, patient.id)
    open_reviews = set(
        session.exec(
            select(GoalReview.goal_id).where(
                GoalReview.patient_id == patient.id, col(GoalReview.decision).is_(None)
            )
        ).all()
    )
    return PatientHome(
        patient=patient,
        record=load_record(session, patient),
        practice=PracticeContact(practice.name if practice else "", phone, tel_href(phone)),
        next_review=_next_review(session, patient.id, goals, open_reviews, today),
        questionnaires=_questionnaires(session, patient.id, today),
        latest_values=_latest_values(session, patient.id),
        goals=_goals_to_update(actor, goals, open_reviews, today),
        unread=unread_count(session, actor.user_id) if unread is None else unread,
        notifications=_newest_unread(session, actor.user_id),
    )


def _goals(session: Session, patient_id: int) -> list[Goal]:
    rows = session.exec(
        select(Goal)
        .where(Goal.patient_id == patient_id)
        .order_by(col(Goal.review_date).is_(None), Goal.review_date, Goal.id)
    ).all()
    return [g for g in rows if not is_closed(g.lifecycle)]


def _next_review(
    session: Session,
    patient_id: int,
    goals: list[Goal],
    open_reviews: set[int],
    today: date,
) -> NextReview | None:
    """The nearest review date: of a running goal, or of the plan as a whole."""
    candidates: list[tuple[date, Goal | None]] = [
        (g.review_date, g) for g in goals if g.review_date and is_reviewable(g.lifecycle)
    ]
    plan_day = session.exec(
        select(CarePlan.next_review_date).where(CarePlan.patient_id == patient_id)
    ).first()
    if plan_day:
        candidates.append((plan_day, None))
    if not candidates:
        return None
    # The earliest date; on the same day a goal goes first (it has something to prepare).
    day, goal = min(candidates, key=lambda c: (c[0], c[1] is None, c[1].id if c[1] else 0))
    if goal is not None and goal.id not in open_reviews:
        action = Action(N_("Evaluatie voorbereiden"), "izp.prepare_review", {"goal_id": goal.id})  # type: ignore[dict-item]
    elif goal is not None:
        action = Action(N_("Bekijk het doel"), "izp.goal", {"goal_id": goal.id})  # type: ignore[dict-item]
    else:
        action = Action(N_("Naar mijn plan"), "izp.my_plan")
    prepared = goal is not None and goal.id in open_reviews
    return NextReview(day, goal.title if goal else None, day < today, action, prepared)


def _questionnaires(session: Session, patient_id: int, today: date) -> list[OpenQuestionnaire]:
    """Questionnaires started or waiting (e.g. sent after a review), then a self-management
    questionnaire due within two weeks when none of that kind is open."""
    rows = session.exec(
        select(AssessmentResponse, InstrumentVersion)
        .join(
            InstrumentVersion, col(InstrumentVersion.id) == AssessmentResponse.instrument_version_id
        )
        .where(
            AssessmentResponse.patient_id == patient_id,
            AssessmentResponse.status == ResponseStatus.in_progress,
        )
        .order_by(col(AssessmentResponse.started_at), col(AssessmentResponse.id))
    ).all()
    result = []
    open_kinds = set()
    for response, version in rows:
        definition = definition_of(version)
        open_kinds.add(definition.kind)
        started = any(value is not None for value in response.answers.values())
        result.append(
            OpenQuestionnaire(
                definition.title,
                started,
                None,
                Action(
                    N_("Verder invullen") if started else N_("Invullen"),
                    "assessment.fill",
                    {"response_id": response.id},  # type: ignore[dict-item]
                ),
            )
        )
    due = due_assessments(session, today=today, patient_id=patient_id)
    if due and due[0].due <= today + SOON:
        if InstrumentKind.ACTIVATION not in open_kinds:
            result.append(
                OpenQuestionnaire(
                    Text(nl="Vragenlijst over zelfmanagement", en="Self-management questionnaire"),
                    False,
                    due[0].due,
                    Action(N_("Naar de vragenlijsten"), "assessment.mine"),
                )
            )
    return result


def _latest_values(session: Session, patient_id: int) -> list[LatestValue]:
    types = {code: t for code, t in load_types().items() if t.is_quantity}
    latest = latest_values(session, patient_id, list(types))
    targets = effective_targets(session, [patient_id], list(latest))
    rows = sorted(
        (m for m in latest.values() if m.value is not None),
        key=lambda m: (m.measured_at, m.id or 0),
        reverse=True,
    )[:MAX_VALUES]
    result = []
    for m in rows:
        target = targets.get((patient_id, m.type_code))
        result.append(
            LatestValue(
                types[m.type_code],
                m,
                target,
                target.is_met(m.value) if target is not None and m.value is not None else None,
                Action(
                    N_("Grafiek bekijken"), "telemonitoring.my_chart", {"type_code": m.type_code}
                ),
            )
        )
    return result


def _goals_to_update(
    actor: Actor, goals: list[Goal], open_reviews: set[int], today: date
) -> list[GoalToUpdate]:
    """Goals waiting for the patient's agreement, then running goals whose review is within
    two weeks (or past) and not prepared yet."""
    result = []
    for g in goals:
        if goal_state(g, actor).can_agree:
            reason, label = "agree", N_("Bekijken en akkoord geven")
            endpoint = "izp.goal"
        elif (
            is_reviewable(g.lifecycle)
            and g.review_date is not None
            and g.review_date <= today + SOON
            and g.id not in open_reviews
        ):
            reason, label, endpoint = "prepare", N_("Evaluatie voorbereiden"), "izp.prepare_review"
        else:
            continue
        result.append(
            GoalToUpdate(
                g.id,  # type: ignore[arg-type]
                g.title,
                reason,
                g.review_date,
                Action(label, endpoint, {"goal_id": g.id}),  # type: ignore[dict-item]
            )
        )
    return result


def _newest_unread(session: Session, user_id: int) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.user_id == user_id, col(Notification.read_at).is_(None))
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
            .limit(MAX_NOTIFICATIONS)
        ).all()
    )
