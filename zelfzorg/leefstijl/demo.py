"""Demo catalogue for the demo care group and referrals in every state, with outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from zelfzorg.izp.models import Goal
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent
from zelfzorg.leefstijl.services import local_day

ALL_PROGRAMMES = ["DM2", "COPD", "astma", "CVRM", "hartfalen"]

CATALOGUE = [
    {
        "name": "CooL – Coaching op Leefstijl",
        "kind": "gli",
        "provider": "Leefstijlcoaches Rivierenland",
        "internet_based": False,
        "zorgstandaard_conform": True,
        "insured": True,
        "programmes": ["DM2", "CVRM"],
        "description_nl": "Twee jaar lang samen met een leefstijlcoach werken aan gezonder eten, "
        "meer bewegen, beter slapen en minder stress. In een groep en af en toe alleen.",
        "description_en": "Two years of working with a lifestyle coach on healthier eating, "
        "more exercise, better sleep and less stress. In a group and sometimes one-to-one.",
        "criteria": {
            "all": [
                {"age_between": [18, None]},
                {
                    "any": [
                        {"measurement": "bmi", "op": ">=", "value": 30},
                        {
                            "all": [
                                {"measurement": "bmi", "op": ">=", "value": 25},
                                {"programme_in": ["DM2", "CVRM"]},
                            ]
                        },
                    ]
                },
            ]
        },
    },
    {
        "name": "SLIMMER",
        "kind": "gli",
        "provider": "GGD Gelderland-Zuid",
        "internet_based": False,
        "zorgstandaard_conform": True,
        "insured": True,
        "programmes": ["DM2"],
        "description_nl": "Tien maanden begeleiding door een diëtist en een beweegprogramma in "
        "de buurt, voor mensen met diabetes en overgewicht.",
        "description_en": "Ten months of guidance by a dietitian plus a local exercise "
        "programme, for people with diabetes who are overweight.",
        "criteria": {
            "all": [
                {"programme_in": ["DM2"]},
                {"measurement": "bmi", "op": ">=", "value": 25},
                {"age_between": [40, 75]},
            ]
        },
    },
    {
        "name": "Samen stoppen met roken",
        "kind": "smoking_cessation",
        "provider": "Stoppen met roken-poli Tiel",
        "internet_based": False,
        "zorgstandaard_conform": True,
        "insured": True,
        "programmes": ALL_PROGRAMMES,
        "description_nl": "Hulp bij stoppen met roken: gesprekken met een coach en zo nodig "
        "medicijnen. Eén keer per jaar vergoed.",
        "description_en": "Help to stop smoking: talks with a coach and medication if needed. "
        "Covered once a year.",
        "criteria": {"smoking": "current"},
    },
    {
        "name": "Beweegkuur Rivierenland",
        "kind": "exercise",
        "provider": "Fysiotherapie Betuwe",
        "internet_based": False,
        "zorgstandaard_conform": True,
        "insured": False,
        "programmes": ["DM2", "CVRM", "COPD"],
        "description_nl": "Een half jaar bewegen op recept met een fysiotherapeut en een "
        "diëtist, daarna zelf verder bij een sportclub in de buurt.",
        "description_en": "Six months of exercise on prescription with a physiotherapist and "
        "a dietitian, then on your own at a local sports club.",
        "criteria": {
            "all": [
                {"programme_in": ["DM2", "CVRM", "COPD"]},
                {
                    "any": [
                        {"measurement": "bmi", "op": ">=", "value": 25},
                        {
                            "measurement": "waist",
                            "op": ">=",
                            "value_by_sex": {"female": 88, "male": 102},
                        },
                    ]
                },
                {"activation_level_in": [1, 2, 3]},
            ]
        },
    },
    {
        "name": "Leven met diabetes type 2 (online)",
        "kind": "online_module",
        "provider": "Diabetesvereniging Nederland",
        "internet_based": True,
        "zorgstandaard_conform": True,
        "insured": True,
        "programmes": ["DM2"],
        "description_nl": "Een online cursus in zes delen over diabetes: eten, bewegen, "
        "medicijnen en meten. U doet het thuis, wanneer het u uitkomt.",
        "description_en": "An online course in six parts about diabetes: food, exercise, "
        "medication and measuring. At home, whenever it suits you.",
        "criteria": {"programme_in": ["DM2"]},
    },
    {
        "name": "Wandelgroep Tiel Actief",
        "kind": "community",
        "provider": "Gemeente Tiel",
        "internet_based": False,
        "zorgstandaard_conform": False,
        "insured": False,
        "programmes": [],
        "description_nl": "Elke dinsdag en vrijdag een uur wandelen met anderen uit de buurt. "
        "Gratis, en u mag altijd aansluiten.",
        "description_en": "An hour's walk with people from the neighbourhood every Tuesday "
        "and Friday. Free, and you can join at any time.",
        "criteria": {"age_between": [50, None]},
    },
    {
        "name": "Voedingsvoorlichting in groepen (gestopt)",
        "kind": "diet",
        "provider": "Diëtistenpraktijk Waalkade",
        "internet_based": False,
        "zorgstandaard_conform": False,
        "insured": True,
        "programmes": ["DM2", "CVRM"],
        "description_nl": "Groepsvoorlichting over gezond eten. Wordt niet meer aangeboden.",
        "description_en": "Group sessions on healthy eating. No longer offered.",
        "criteria": {"programme_in": ["DM2", "CVRM"]},
        "active": False,
    },
]

# Target state weights for the random referrals: every state appears.
STATE_WEIGHTS = [
    (rs.PROPOSED, 2),
    (rs.OFFERED, 3),
    (rs.ACCEPTED, 2),
    (rs.STARTED, 3),
    (rs.COMPLETED, 4),
    (rs.STOPPED, 1),
    (rs.DECLINED, 2),
]
PATHS = {
    rs.PROPOSED: [],
    rs.OFFERED: [rs.OFFERED],
    rs.ACCEPTED: [rs.OFFERED, rs.ACCEPTED],
    rs.STARTED: [rs.OFFERED, rs.ACCEPTED, rs.STARTED],
    rs.COMPLETED: [rs.OFFERED, rs.ACCEPTED, rs.STARTED, rs.COMPLETED],
    rs.STOPPED: [rs.OFFERED, rs.ACCEPTED, rs.STARTED, rs.STOPPED],
    rs.DECLINED: [rs.OFFERED, rs.DECLINED],
}


def _outcome(rng, kind: str) -> dict:
    rating = rng.randint(2, 5)
    data: dict[str, object] = {
        "gli": {
            "weight_change_kg": round(rng.uniform(-9, 1.5), 1),
            "waist_change_cm": round(rng.uniform(-10, 1), 1),
        },
        "diet": {"weight_change_kg": round(rng.uniform(-5, 1), 1)},
        "smoking_cessation": {"stopped_smoking": rng.random() < 0.45},
        "exercise": {"active_minutes_per_week": rng.choice([60, 90, 120, 150, 210])},
        "education": {"all_sessions_attended": rng.random() < 0.7},
        "online_module": {"module_finished": rng.random() < 0.6},
        "community": {},
    }[kind]
    data["patient_rating"] = rating
    return rs.validate_outcome(kind, data)


def _suits(intervention: Intervention, programmes: list[str]) -> bool:
    return not intervention.programmes or bool(set(intervention.programmes) & set(programmes))


def seed(session: Session, ctx) -> None:
    rng = ctx.rng
    catalogue = []
    for entry in CATALOGUE:
        intervention = Intervention(care_group_id=ctx.care_group.id, **entry)
        session.add(intervention)
        catalogue.append(intervention)
    session.flush()
    active = [i for i in catalogue if i.active]
    by_name = {i.name: i for i in catalogue}

    def add_referral(
        patient, intervention, state, start: datetime, *, answered_by_patient, goal_id=None
    ):
        poh = ctx.pohs[patient.practice_id]
        patient_user = ctx.patient_users.get(patient.id)
        moments = [start]
        for _ in PATHS[state]:
            moments.append(moments[-1] + timedelta(days=rng.randint(3, 40)))
        if moments[-1] > ctx.now:  # keep the history in the past
            shift = moments[-1] - ctx.now + timedelta(days=1)
            moments = [m - shift for m in moments]
        referral = Referral(
            patient_id=patient.id,
            intervention_id=intervention.id,
            state=state,
            state_since=local_day(moments[-1]),
            goal_id=goal_id,
            outcome=_outcome(rng, intervention.kind) if state == rs.COMPLETED else None,
            created_by_id=poh.id,
            created_at=moments[0],
            updated_at=moments[-1],
            version=len(moments),
        )
        session.add(referral)
        session.flush()
        previous = None
        for moment, to_state in zip(moments, [rs.PROPOSED, *PATHS[state]], strict=True):
            by_patient = (
                answered_by_patient
                and patient_user is not None
                and previous == rs.OFFERED
                and to_state in (rs.ACCEPTED, rs.DECLINED)
            )
            actor = patient_user if by_patient else poh
            session.add(
                ReferralEvent(
                    referral_id=referral.id,
                    from_state=previous,
                    to_state=to_state,
                    at=moment,
                    on_date=local_day(moment),
                    actor_id=actor.id,
                    actor_role=rs.PATIENT if by_patient else rs.PROFESSIONAL,
                    note="",
                )
            )
            previous = to_state

    # The demo patient: a fresh offer to answer and a walking group she finished.
    demo = ctx.demo_patient
    # The offer serves one of her running care-plan goals, so the link shows in the demo.
    goal_id = session.exec(
        select(Goal.id)
        .where(Goal.patient_id == demo.id)
        .where(col(Goal.lifecycle).in_(["active", "proposed"]))
        .order_by(col(Goal.lifecycle) == "proposed", Goal.id)
    ).first()
    add_referral(
        demo,
        by_name["Leven met diabetes type 2 (online)"],
        rs.OFFERED,
        ctx.now - timedelta(days=5),
        answered_by_patient=True,
        goal_id=goal_id,
    )
    add_referral(
        demo,
        by_name["Wandelgroep Tiel Actief"],
        rs.COMPLETED,
        ctx.now - timedelta(days=300),
        answered_by_patient=True,
    )

    states = [s for s, _w in STATE_WEIGHTS]
    weights = [w for _s, w in STATE_WEIGHTS]
    chosen = [p for p in ctx.patients[1:] if rng.random() < 0.35]
    for index, patient in enumerate(chosen):
        programmes = [str(p) for p in ctx.programmes.get(patient.id, [])]
        options = [i for i in active if _suits(i, programmes)]
        if not options:
            continue
        # The first few cover every state; the rest follow the weights.
        state = states[index] if index < len(states) else rng.choices(states, weights)[0]
        start = ctx.now - timedelta(days=rng.randint(10, 600), hours=rng.randint(0, 8))
        add_referral(
            patient,
            rng.choice(options),
            state,
            start,
            answered_by_patient=rng.random() < 0.5,
        )
    session.flush()
    ctx.progress(f"  {len(catalogue)} lifestyle interventions, {len(chosen) + 2} referrals")
