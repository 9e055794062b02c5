"""Demo care plans: most patients get a plan; goals in every state; several review cycles;
multimorbid patients with goals for several programmes; a rich plan for the demo patient."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from zelfzorg.izp.agreements import AGREEMENT_FIELDS
from zelfzorg.izp.goals import GOAL_FIELDS, sync_goal_target
from zelfzorg.izp.models import (
    ActionLog,
    CarePlan,
    Goal,
    GoalAction,
    GoalReview,
    PlanAgreement,
    Revision,
)
from zelfzorg.izp.plans import PLAN_FIELDS
from zelfzorg.izp.revisions import diff_fields, to_json_value
from zelfzorg.patients.models import Programme

# (title, domain, programmes, target (type, comparator, value, unit) or None, actions)
GOALS: dict[str, list[tuple]] = {
    "DM2": [
        (
            "Mijn suiker (HbA1c) onder de 53",
            "health",
            ["DM2"],
            ("hba1c", "<=", 53, "mmol/mol"),
            [("Elke dag mijn medicijnen innemen", "ikzelf", "dagelijks")],
        ),
        (
            "Elke dag een half uur wandelen",
            "lifestyle",
            ["DM2", "CVRM"],
            ("steps", ">=", 6000, "{steps}"),
            [("Wandelen met de hond", "ikzelf", "elke dag")],
        ),
    ],
    "CVRM": [
        (
            "Mijn bloeddruk onder de 140",
            "health",
            ["CVRM"],
            ("bp_systolic", "<", 140, "mm[Hg]"),
            [("Thuis mijn bloeddruk meten", "ikzelf", "2 keer per week")],
        ),
        (
            "5 kilo afvallen voor de zomer",
            "lifestyle",
            ["CVRM", "DM2"],
            ("weight", "<=", 82, "kg"),
            [("Minder brood en meer groente", "ikzelf", "elke dag")],
        ),
    ],
    "COPD": [
        (
            "Zonder benauwd te worden boodschappen doen",
            "participation",
            ["COPD"],
            None,
            [("Oefeningen van de fysiotherapeut", "ikzelf", "3 keer per week")],
        ),
        (
            "Stoppen met roken",
            "lifestyle",
            ["COPD"],
            None,
            [("Stoppen-met-rokenprogramma volgen", "POH", "elke 2 weken gesprek")],
        ),
    ],
    "astma": [
        (
            "Mijn piekstroom boven de 400",
            "health",
            ["astma"],
            ("peak_flow", ">=", 400, "L/min"),
            [("Puffer goed gebruiken", "ikzelf", "elke dag")],
        ),
    ],
    "hartfalen": [
        (
            "Elke dag wegen en op tijd bellen bij vocht",
            "health",
            ["hartfalen"],
            ("weight", "<=", 78, "kg"),
            [("'s Ochtends wegen", "ikzelf", "elke dag")],
        ),
    ],
}
WELLBEING = [
    ("Weer met de kleinkinderen naar het park", "participation"),
    ("Beter slapen", "wellbeing"),
    ("Weer naar de zangkoor", "participation"),
    ("Minder piekeren over mijn gezondheid", "wellbeing"),
]
MATTERS = [
    "Zelfstandig blijven wonen en mijn tuin bijhouden.",
    "Tijd met mijn kleinkinderen en fietsen in de Betuwe.",
    "Mijn vrijwilligerswerk bij de voedselbank blijven doen.",
    "Niet steeds moe zijn en weer naar de markt kunnen lopen.",
]
STATES = [
    ("active", "in-progress"),
    ("active", "improving"),
    ("active", "worsening"),
    ("active", "no-change"),
    ("on-hold", "in-progress"),
    ("completed", "achieved"),
    ("cancelled", "not-achieved"),
    ("proposed", "in-progress"),
]


def _revision(session, plan, obj, fields, at, user_id, user_name, before=None) -> None:
    after = {name: to_json_value(getattr(obj, name)) for name in fields}
    changes = diff_fields(before or {}, after, fields)
    if changes:
        session.add(
            Revision(
                plan_id=plan.id,
                patient_id=plan.patient_id,
                object_type=type(obj).__name__,
                object_id=obj.id,
                version=getattr(obj, "version", 1),
                user_id=user_id,
                user_name=user_name,
                at=at,
                changes=[c.to_json() for c in changes],
            )
        )


def _agreement(session, plan, poh, what, who, due_date, at, *, done_date=None) -> None:
    agreement = PlanAgreement(
        plan_id=plan.id,
        patient_id=plan.patient_id,
        what=what,
        who=who,
        due_date=due_date,
        status="done" if done_date else "open",
        done_date=done_date,
        created_at=at,
        updated_at=at,
        created_by_id=poh.id,
        updated_by_id=poh.id,
    )
    session.add(agreement)
    session.flush()
    _revision(session, plan, agreement, AGREEMENT_FIELDS, at, poh.id, poh.name)


def _goal(
    session,
    ctx,
    plan,
    poh,
    patient_user_id,
    spec,
    state,
    created,
    *,
    review_cycles,
    now,
    proposer=None,
) -> Goal:
    title, domain, programmes, target, actions = spec
    lifecycle, achievement = state
    rng = ctx.rng
    goal = Goal(
        plan_id=plan.id,
        patient_id=plan.patient_id,
        title=title,
        domain=domain,
        programmes=programmes,
        target_type=target[0] if target else None,
        target_comparator=target[1] if target else None,
        target_value=float(target[2]) if target else None,
        target_unit=target[3] if target else None,
        due_date=ctx.today + timedelta(days=rng.randint(60, 240)) if target else None,
        review_date=None,
        lifecycle="proposed",
        achievement="in-progress",
        proposed_by=proposer or ("professional" if rng.random() < 0.6 else "patient"),
        proposed_by_id=poh.id,
        created_at=created,
        updated_at=created,
        updated_by_id=poh.id,
    )
    agreed = lifecycle != "proposed"
    if goal.proposed_by == "professional" or agreed:
        goal.agreed_by_professional_at, goal.agreed_by_professional_id = created, poh.id
    if goal.proposed_by == "patient" or agreed:
        goal.agreed_by_patient_at, goal.agreed_by_patient_id = created, patient_user_id
    if agreed:
        goal.lifecycle = "active"
        goal.review_date = (created + timedelta(weeks=12)).date()
    session.add(goal)
    session.flush()
    _revision(session, plan, goal, GOAL_FIELDS, created, poh.id, poh.name)
    for what, who, how_often in actions:
        action = GoalAction(
            goal_id=goal.id,
            patient_id=goal.patient_id,
            what=what,
            who=who,
            how_often=how_often,
            created_at=created,
            created_by_id=poh.id,
        )
        session.add(action)
        session.flush()
        _revision(session, plan, action, ("what", "who", "how_often"), created, poh.id, poh.name)
        if agreed and patient_user_id:
            for n in range(rng.randint(2, 8)):
                day = (now - timedelta(days=rng.randint(1, 80))).date()
                session.add(
                    ActionLog(
                        action_id=action.id,
                        goal_id=goal.id,
                        patient_id=goal.patient_id,
                        done_on=max(day, created.date()),
                        note=""
                        if rng.random() < 0.7
                        else rng.choice(["Ging goed", "Was zwaar vandaag", "Samen met mijn man"]),
                        client_token=f"demo-{action.id}-{n}",
                        created_at=now,
                        created_by_id=patient_user_id,
                    )
                )
    if not agreed:
        return goal
    # Review cycles, each twelve weeks apart, ending in the wanted state.
    at = created
    for cycle in range(review_cycles):
        last = cycle == review_cycles - 1
        at = at + timedelta(weeks=12)
        if at >= now:
            break
        before = {name: to_json_value(getattr(goal, name)) for name in GOAL_FIELDS}
        decision = "continue"
        judged = rng.choice(["in-progress", "improving", "no-change"])
        if last:
            judged = achievement
            decision = {"completed": "achieved", "cancelled": "stop"}.get(
                lifecycle, "adjust" if rng.random() < 0.4 else "continue"
            )
        next_review = (
            None if decision in ("achieved", "stop") else (at + timedelta(weeks=12)).date()
        )
        session.add(
            GoalReview(
                goal_id=goal.id,
                patient_id=goal.patient_id,
                patient_score=rng.randint(2, 5),
                patient_helped=rng.choice(
                    ["Steun van mijn dochter", "De app met herinneringen", "Vaste tijden"]
                ),
                patient_hard=rng.choice(["Verjaardagen", "Het weer", "Pijn in mijn knie", ""]),
                prepared_at=at - timedelta(days=2),
                professional_view=rng.choice(
                    [
                        "Goed op weg, zo doorgaan.",
                        "Doel iets kleiner gemaakt.",
                        "Samen nieuwe acties bedacht.",
                    ]
                ),
                achievement=judged,
                decision=decision,
                next_review_date=next_review,
                reviewer_id=poh.id,
                reviewed_at=at,
                submission_token=f"demo-{goal.id}-{cycle}",
                created_at=at,
                progress={},
            )
        )
        goal.achievement = judged
        goal.lifecycle = {"achieved": "completed", "stop": "cancelled"}.get(decision, "active")
        goal.review_date = next_review
        goal.version += 1
        goal.updated_at = at
        _revision(session, plan, goal, GOAL_FIELDS, at, poh.id, poh.name, before)
    if lifecycle == "on-hold" and goal.lifecycle == "active":
        before = {name: to_json_value(getattr(goal, name)) for name in GOAL_FIELDS}
        goal.lifecycle = "on-hold"
        goal.version += 1
        _revision(
            session, plan, goal, GOAL_FIELDS, now - timedelta(days=3), poh.id, poh.name, before
        )
    if (
        goal.lifecycle in ("active", "on-hold")
        and goal.review_date
        and goal.review_date < ctx.today
    ):
        # Keep the demo worklist realistic: a few overdue, most upcoming.
        if rng.random() < 0.7:
            goal.review_date = ctx.today + timedelta(days=rng.randint(1, 70))
    session.add(goal)
    return goal


def seed(session: Session, ctx) -> None:
    rng = ctx.rng
    now: datetime = ctx.now
    plans = 0
    for index, patient in enumerate(ctx.patients):
        if patient.id != ctx.demo_patient.id and rng.random() < 0.15:
            continue  # some patients have no plan yet (worklist: no_plan)
        poh = ctx.pohs[patient.practice_id]
        user = ctx.patient_users.get(patient.id)
        programmes = [p.value for p in ctx.programmes[patient.id]]
        created = now - timedelta(days=rng.randint(30, 500))
        plan = CarePlan(
            patient_id=patient.id,
            what_matters=rng.choice(MATTERS),
            life_goals="",
            support_needs=rng.choice(
                ["", "Hulp bij het bijhouden van metingen.", "Iemand die meegaat naar de diëtist."]
            ),
            modules=sorted(
                rng.sample(
                    ["education", "coaching", "telemonitoring", "ehealth"], rng.randint(0, 2)
                )
            ),
            next_review_date=ctx.today + timedelta(days=rng.randint(14, 180)),
            conditions=programmes if rng.random() < 0.6 else programmes[:1],
            created_at=created,
            updated_at=created,
            created_by_id=poh.id,
            updated_by_id=poh.id,
        )
        session.add(plan)
        session.flush()
        _revision(session, plan, plan, PLAN_FIELDS, created, poh.id, poh.name)
        plans += 1
        if rng.random() < 0.5:
            _agreement(
                session,
                plan,
                poh,
                "POH belt om te horen hoe het gaat.",
                "POH",
                ctx.today + timedelta(weeks=4),
                created,
            )
            _agreement(
                session,
                plan,
                poh,
                "Zelf de bloeddruk meten en invoeren.",
                "Patiënt",
                None,
                created,
            )
        if patient.id == ctx.demo_patient.id:
            _demo_patient_plan(session, ctx, plan, poh, user, now)
            continue
        specs = [s for p in programmes for s in GOALS.get(p, [])]
        rng.shuffle(specs)
        specs = specs[: rng.randint(0, 3)]
        if rng.random() < 0.4:
            title, domain = rng.choice(WELLBEING)
            specs.append((title, domain, programmes[:1] if rng.random() < 0.3 else [], None, []))
        for n, spec in enumerate(specs):
            state = STATES[(index + n) % len(STATES)]
            start = created + timedelta(days=rng.randint(0, 20))
            _goal(
                session,
                ctx,
                plan,
                poh,
                user.id if user else None,
                spec,
                state,
                start,
                review_cycles=rng.randint(1, 3),
                now=now,
            )
    session.flush()
    # Agreed running goals with a target are the patients' personal targets (as in the app),
    # so the telemonitoring demo that follows judges readings against them.
    targets = 0
    for goal in session.exec(select(Goal).where(col(Goal.target_type).is_not(None))).all():
        sync_goal_target(session, goal, set_by_id=goal.updated_by_id, now=now)
        targets += goal.lifecycle in ("active", "on-hold")
    session.flush()
    ctx.progress(f"  {plans} care plans, {targets} goal targets")


def _demo_patient_plan(session, ctx, plan, poh, user, now) -> None:
    plan.what_matters = (
        "Ik wil fit genoeg blijven om op mijn kleinzoon te passen en mijn moestuin bij te houden."
    )
    plan.life_goals = "Volgend voorjaar met mijn zus een fietsvakantie in Zeeland."
    plan.support_needs = "Hulp bij het volhouden van bewegen; uitleg over mijn medicijnen."
    plan.modules = ["coaching", "education", "telemonitoring"]
    agreed = now - timedelta(days=60)
    for what, who, due, done in (
        ("2 keer per week thuis de bloeddruk meten en in Zelfzorg zetten.", "Gerda", None, None),
        (
            "Elke maand naar de metingen kijken en bellen bij hoge waarden.",
            "POH",
            ctx.today + timedelta(days=10),
            None,
        ),
        (
            "3 afspraken met de diëtist maken voor de zomer.",
            "Gerda",
            None,
            ctx.today - timedelta(days=20),
        ),
        (
            "Recept voor de bloeddrukmeter meegeven.",
            "Huisarts",
            None,
            ctx.today - timedelta(days=55),
        ),
    ):
        _agreement(session, plan, poh, what, who, due, agreed, done_date=done)
    plan.conditions = [Programme.DM2.value, Programme.CVRM.value]
    plan.next_review_date = ctx.today + timedelta(days=45)
    session.add(plan)
    user_id = user.id if user else None
    start = now - timedelta(days=200)
    bp = _goal(
        session,
        ctx,
        plan,
        poh,
        user_id,
        GOALS["CVRM"][0],
        ("active", "improving"),
        start,
        review_cycles=2,
        now=now,
    )
    bp.review_date = ctx.today + timedelta(days=6)  # reminder and worklist show it
    bp.due_date = ctx.today + timedelta(days=120)
    session.add(bp)
    session.flush()
    session.add(
        GoalReview(
            goal_id=bp.id,
            patient_id=plan.patient_id,
            patient_score=4,
            patient_helped="Wandelen met mijn buurvrouw, minder zout.",
            patient_hard="Verjaardagen: dan eet ik te zout.",
            prepared_at=now - timedelta(days=1),
            prepare_token="demo-prep",
            created_at=now - timedelta(days=1),
            progress={},
        )
    )
    _goal(
        session,
        ctx,
        plan,
        poh,
        user_id,
        GOALS["DM2"][0],
        ("active", "no-change"),
        now - timedelta(days=120),
        review_cycles=1,
        now=now,
    )
    _goal(
        session,
        ctx,
        plan,
        poh,
        user_id,
        GOALS["DM2"][1],
        ("completed", "achieved"),
        now - timedelta(days=300),
        review_cycles=2,
        now=now,
    )
    proposed = _goal(
        session,
        ctx,
        plan,
        poh,
        user_id,
        ("Weer zelf naar de markt in Tiel fietsen", "participation", ["CVRM", "DM2"], None, []),
        ("proposed", "in-progress"),
        now - timedelta(days=2),
        review_cycles=0,
        now=now,
        proposer="patient",
    )
    assert proposed.agreed_by_professional_at is None
