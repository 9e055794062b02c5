"""A generated care group at scale, for benchmarks and load tests.

``flask --app wsgi zelfzorg generate --patients N --practices P --years Y --seed S`` writes
rows through bulk paths only (Core ``executemany`` in batches, explicit ids, no ORM objects):
one care group; practices with a POH and a GP each, and a dietitian working for every practice
through memberships; patients with an age and condition mix and multimorbidity, one practice
period each (about 3% moved from another practice), enrolments; about one care plan per
enrolled patient with 1-4 goals, actions and their review history; activation assessments;
lifestyle referrals with their status history; logged actions (activity); practice
measurements; for 20% of the patients telemonitoring with 4 readings a day. The same seed and
reference day give the same rows.

Extension point: one function per domain in ``STEPS``; a new domain (e.g. goal history rows or
daily activity for contracting) adds ``def step(ctx: Context) -> int`` and appends it. A step
reads what earlier steps made from ``ctx`` and writes with ``ctx.insert``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zelfzorg.accounts.models import (
    CareGroup,
    Discipline,
    Practice,
    PracticeMembership,
    Role,
    User,
)
from zelfzorg.assessment.models import AssessmentResponse, ResponseStatus
from zelfzorg.assessment.scoring import score
from zelfzorg.assessment.versions import current_version, definition_of, sync_builtins
from zelfzorg.db import refresh_statistics
from zelfzorg.izp.demo import GOALS
from zelfzorg.izp.models import ActionLog, CarePlan, Goal, GoalAction, GoalReview
from zelfzorg.leefstijl import referral_states as rs
from zelfzorg.leefstijl.criteria import criteria_to_data, parse_criteria
from zelfzorg.leefstijl.demo import CATALOGUE, PATHS, STATE_WEIGHTS
from zelfzorg.leefstijl.models import Intervention, Referral, ReferralEvent
from zelfzorg.patients.models import (
    PROGRAMME_CONDITION,
    Condition,
    Enrolment,
    Patient,
    PracticePeriod,
)
from zelfzorg.telemonitoring import latest
from zelfzorg.telemonitoring.models import Alert, Measurement
from zelfzorg.texts import format_fixed

BATCH = 5000
TELEMONITORED_SHARE = 0.20
PATIENT_ACCOUNT_SHARE = 0.6
# Prevalence of each programme among chronic patients (a patient has at least one).
PROGRAMME_WEIGHTS = {"DM2": 0.42, "CVRM": 0.48, "COPD": 0.14, "astma": 0.12, "hartfalen": 0.06}
CITIES = ("Tiel", "Culemborg", "Geldermalsen", "Zaltbommel", "Buren", "Leerdam", "Gorinchem")
GIVEN = ("Anna", "Bram", "Carla", "Daan", "Els", "Frank", "Gerda", "Henk", "Ilse", "Jan", "Kees")
FAMILY = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos")


@dataclass
class GeneratedPatient:
    id: int
    practice_id: int
    date_of_birth: date
    sex: str
    programmes: list[str]
    enrolled_since: date | None


@dataclass
class Context:
    conn: Connection
    rng: random.Random
    today: date
    years: int
    seed: int
    progress: Callable[[str, int], None]
    now: datetime = field(init=False)
    care_group_id: int = 0
    practices: list[int] = field(default_factory=list)
    poh: dict[int, int] = field(default_factory=dict)  # practice id -> POH user id
    patients: list[GeneratedPatient] = field(default_factory=list)
    plan_goals: dict[int, list[tuple[int, int, str | None]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _next: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.now = datetime.combine(self.today, time(18, 0), UTC)
        self.start = self.today - timedelta(days=365 * self.years)

    def ids(self, table: sa.Table, n: int) -> range:
        """Reserve ``n`` explicit ids (deterministic, no RETURNING round trips)."""
        name = table.name
        if name not in self._next:
            self._next[name] = (
                self.conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
            ) + 1
        first = self._next[name]
        self._next[name] = first + n
        return range(first, first + n)

    def insert(self, model, rows: Iterable[dict]) -> int:
        """executemany in batches of BATCH rows; returns how many."""
        table = model.__table__
        batch: list[dict] = []
        total = 0
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                self.conn.execute(sa.insert(table), batch)
                total += len(batch)
                batch = []
        if batch:
            self.conn.execute(sa.insert(table), batch)
            total += len(batch)
        self.counts[table.name] = self.counts.get(table.name, 0) + total
        return total

    def moment(self, day: date, hour: int = 10) -> datetime:
        return datetime.combine(day, time(hour, self.rng.randint(0, 59)), UTC)

    def day_between(self, first: date, last: date) -> date:
        span = max(0, (last - first).days)
        return first + timedelta(days=self.rng.randint(0, span))


# --- one function per domain -----------------------------------------------------------------


def _reading_row(patient, type_code, value, unit, at, source, reading=None) -> dict:
    """One measurement row as the bulk inserts write it (a reading's time is its creation)."""
    return {
        "patient_id": patient.id,
        "type_code": type_code,
        "value": value,
        "value_code": None,
        "unit": unit,
        "measured_at": at,
        "source": source,
        "reading_id": reading,
        "note": "",
        "created_at": at,
    }


def organisations(ctx: Context, *, n_practices: int) -> int:
    name = f"Gegenereerde zorggroep {ctx.seed}"
    exists = ctx.conn.execute(
        sa.select(CareGroup.__table__.c.id).where(CareGroup.__table__.c.name == name)
    ).first()
    if exists:
        raise GeneratorError(f"{name} bestaat al; kies een ander --seed of een lege database.")
    (ctx.care_group_id,) = ctx.ids(CareGroup.__table__, 1)
    ctx.insert(CareGroup, [{"id": ctx.care_group_id, "name": name, "created_at": ctx.now}])
    ctx.practices = list(ctx.ids(Practice.__table__, n_practices))
    ctx.insert(
        Practice,
        [
            {
                "id": pid,
                "care_group_id": ctx.care_group_id,
                "name": f"Huisartsenpraktijk {CITIES[i % len(CITIES)]} {i + 1}",
                "city": CITIES[i % len(CITIES)],
                "created_at": ctx.now,
            }
            for i, pid in enumerate(ctx.practices)
        ],
    )
    users = []
    user_ids = iter(ctx.ids(User.__table__, 2 * n_practices + 1))
    for i, pid in enumerate(ctx.practices):
        for discipline in (Discipline.poh, Discipline.gp):
            uid = next(user_ids)
            if discipline == Discipline.poh:
                ctx.poh[pid] = uid
            users.append(
                _user(ctx, uid, f"{discipline}{i + 1}", Role.professional, discipline, pid)
            )
    users.append(_user(ctx, next(user_ids), "zorggroep", Role.caregroup, None, None))
    # A care-group dietitian who works for every practice (home practice plus memberships).
    dietitian = ctx.ids(User.__table__, 1)[0]
    users.append(
        _user(ctx, dietitian, "dietist", Role.professional, Discipline.dietitian, ctx.practices[0])
    )
    ctx.insert(User, users)
    ctx.insert(
        PracticeMembership,
        [
            {"id": mid, "user_id": dietitian, "practice_id": pid, "created_at": ctx.now}
            for pid, mid in zip(
                ctx.practices[1:],
                ctx.ids(PracticeMembership.__table__, len(ctx.practices) - 1),
                strict=True,
            )
        ],
    )
    return n_practices


def _user(ctx: Context, uid: int, local: str, role: Role, discipline, practice_id) -> dict:
    return {
        "id": uid,
        "email": f"{local}@gen{ctx.seed}.zelfzorg.test",
        "name": f"{local.upper()} (gegenereerd)",
        "role": role,
        "discipline": discipline,
        "practice_id": practice_id,
        "care_group_id": ctx.care_group_id if role == Role.caregroup else None,
        "patient_id": None,
        "activated_at": None,
        "is_active": True,
        "failed_logins": 0,
        "session_nonce": "0",
        "is_demo": False,
        "created_at": ctx.now,
    }


def patients(ctx: Context, *, n_patients: int) -> int:
    rng = ctx.rng
    weights = [rng.uniform(0.5, 1.5) for _ in ctx.practices]
    ids = ctx.ids(Patient.__table__, n_patients)
    rows, conditions, enrolments, periods, accounts = [], [], [], [], []
    account_ids = iter(ctx.ids(User.__table__, n_patients))
    period_ids = iter(ctx.ids(PracticePeriod.__table__, 2 * n_patients))
    condition_ids = iter(ctx.ids(Condition.__table__, n_patients * len(PROGRAMME_WEIGHTS)))
    enrolment_ids = iter(ctx.ids(Enrolment.__table__, n_patients * len(PROGRAMME_WEIGHTS)))
    for n, pid in enumerate(ids):
        practice_id = rng.choices(ctx.practices, weights)[0]
        age = int(min(96, max(22, rng.gauss(67, 12))))
        born = ctx.today - timedelta(days=age * 365 + rng.randint(0, 364))
        sex = "female" if rng.random() < 0.5 else "male"
        first = rng.choices(list(PROGRAMME_WEIGHTS), list(PROGRAMME_WEIGHTS.values()))[0]
        programmes = [first]
        for programme, prevalence in PROGRAMME_WEIGHTS.items():
            # Multimorbidity grows with age.
            if programme != first and rng.random() < prevalence * (0.3 + age / 120):
                programmes.append(programme)
        if "astma" in programmes and "COPD" in programmes and age < 50:
            programmes.remove("COPD")
        enrolled = rng.random() < 0.93
        since = ctx.day_between(ctx.start - timedelta(days=365 * 3), ctx.today - timedelta(30))
        rows.append(
            {
                "id": pid,
                "practice_id": practice_id,
                "given_name": rng.choice(GIVEN),
                "family_name": f"{rng.choice(FAMILY)} {n:05d}",
                "date_of_birth": born,
                "sex": sex,
                "his_number": f"G{ctx.seed}-{n:06d}",
                "created_at": ctx.moment(since),
                "is_demo": False,
            }
        )
        # One practice period per patient; about 3% moved here from another practice.
        registered = since - timedelta(days=rng.randint(0, 365 * 10))
        moved = len(ctx.practices) > 1 and rng.random() < 0.03
        if moved:
            before = rng.choice([p for p in ctx.practices if p != practice_id])
            move = ctx.day_between(registered + timedelta(days=1), ctx.today - timedelta(1))
            periods.append(_period(next(period_ids), pid, before, registered, move, ctx.now))
            registered = move
        periods.append(_period(next(period_ids), pid, practice_id, registered, None, ctx.now))
        for programme in programmes:
            code, name = PROGRAMME_CONDITION[programme]
            conditions.append(
                {
                    "id": next(condition_ids),
                    "patient_id": pid,
                    "code": code,
                    "name": name,
                    "onset_date": since - timedelta(days=rng.randint(0, 2000)),
                    "recorded_at": ctx.moment(since),
                }
            )
            if enrolled:
                ended = rng.random() < 0.03
                enrolments.append(
                    {
                        "id": next(enrolment_ids),
                        "patient_id": pid,
                        "programme": programme,
                        "start_date": since,
                        "end_date": ctx.day_between(since, ctx.today) if ended else None,
                        "created_at": ctx.moment(since),
                    }
                )
        ctx.patients.append(
            GeneratedPatient(pid, practice_id, born, sex, programmes, since if enrolled else None)
        )
        if rng.random() < PATIENT_ACCOUNT_SHARE:  # uses the platform (no password: bench sets one)
            account = _user(ctx, next(account_ids), f"patient{n}", Role.patient, None, None)
            account.update(patient_id=pid, activated_at=ctx.moment(since))
            accounts.append(account)
        if len(rows) >= BATCH:
            ctx.insert(Patient, rows)
            ctx.progress("patients", len(rows))
            rows = []
    ctx.insert(Patient, rows)
    ctx.progress("patients", len(rows))
    ctx.insert(Condition, conditions)
    ctx.insert(Enrolment, enrolments)
    ctx.insert(PracticePeriod, periods)
    # After the patients (foreign key); patient accounts are the last user ids.
    ctx.insert(User, accounts)
    return n_patients


def _period(pid: int, patient_id: int, practice_id: int, start, end, now) -> dict:
    return {
        "id": pid,
        "patient_id": patient_id,
        "practice_id": practice_id,
        "start_date": start,
        "end_date": end,
        "created_at": now,
    }


def care_plans(ctx: Context) -> int:
    """About one plan per enrolled patient: 1-4 goals, one action each, reviews every 12 weeks."""
    rng = ctx.rng
    enrolled = [p for p in ctx.patients if p.enrolled_since]
    plans, goals, actions, reviews = [], [], [], []
    plan_ids = iter(ctx.ids(CarePlan.__table__, len(enrolled)))
    goal_ids = iter(ctx.ids(Goal.__table__, 4 * len(enrolled)))
    action_ids = iter(ctx.ids(GoalAction.__table__, 4 * len(enrolled)))
    review_ids = iter(ctx.ids(GoalReview.__table__, 4 * len(enrolled) * (ctx.years * 5 + 2)))
    for done, patient in enumerate(enrolled, 1):
        if rng.random() < 0.9:
            poh = ctx.poh[patient.practice_id]
            plan_id = next(plan_ids)
            created = ctx.moment(ctx.day_between(max(patient.enrolled_since, ctx.start), ctx.today))
            plans.append(
                {
                    "id": plan_id,
                    "patient_id": patient.id,
                    "what_matters": "Blijven fietsen naar de kleinkinderen.",
                    "life_goals": "",
                    "support_needs": "",
                    "modules": ["education"],
                    "next_review_date": ctx.today + timedelta(days=rng.randint(-30, 120)),
                    "conditions": patient.programmes,
                    "version": 1,
                    "created_at": created,
                    "created_by_id": poh,
                    "updated_at": created,
                    "updated_by_id": poh,
                }
            )
            options = [g for p in patient.programmes for g in GOALS.get(p, [])]
            ctx.plan_goals[patient.id] = []
            for template in rng.sample(options, min(len(options), rng.randint(1, 4))):
                title, domain, programmes, target, goal_actions = template
                goal_id = next(goal_ids)
                agreed = rng.random() < 0.85
                lifecycle = rng.choice(["active"] * 6 + ["completed", "cancelled"])
                lifecycle = lifecycle if agreed else "proposed"
                review_date = ctx.today + timedelta(days=rng.randint(-40, 84)) if agreed else None
                goals.append(
                    {
                        "id": goal_id,
                        "plan_id": plan_id,
                        "patient_id": patient.id,
                        "title": title,
                        "domain": domain,
                        "programmes": [p for p in programmes if p in patient.programmes]
                        or programmes[:1],
                        "target_type": target[0] if target else None,
                        "target_comparator": target[1] if target else None,
                        "target_value": float(target[2]) if target else None,
                        "target_unit": target[3] if target else None,
                        "due_date": None,
                        "review_date": review_date if lifecycle == "active" else None,
                        "lifecycle": lifecycle,
                        "achievement": "achieved" if lifecycle == "completed" else "in-progress",
                        "proposed_by": "professional",
                        "proposed_by_id": poh,
                        "agreed_by_patient_at": created if agreed else None,
                        "agreed_by_professional_at": created,
                        "agreed_by_professional_id": poh,
                        "version": 1,
                        "created_at": created,
                        "updated_at": created,
                        "updated_by_id": poh,
                    }
                )
                what, who, how_often = goal_actions[0]
                action_id = next(action_ids)
                actions.append(
                    {
                        "id": action_id,
                        "goal_id": goal_id,
                        "patient_id": patient.id,
                        "what": what,
                        "who": who,
                        "how_often": how_often,
                        "created_at": created,
                        "created_by_id": poh,
                    }
                )
                ctx.plan_goals[patient.id].append((goal_id, action_id, target and target[0]))
                at = created + timedelta(weeks=12)
                while agreed and at < ctx.now:
                    reviews.append(
                        {
                            "id": next(review_ids),
                            "goal_id": goal_id,
                            "patient_id": patient.id,
                            "patient_score": rng.randint(1, 5),
                            "patient_helped": "",
                            "patient_hard": "",
                            "prepared_at": at - timedelta(days=2),
                            "professional_view": "Besproken.",
                            "progress": {},
                            "achievement": rng.choice(["in-progress", "improving", "no-change"]),
                            "decision": rng.choice(["continue"] * 4 + ["adjust"]),
                            "next_review_date": (at + timedelta(weeks=12)).date(),
                            "reviewer_id": poh,
                            "reviewed_at": at,
                            "created_at": at - timedelta(days=2),
                        }
                    )
                    at += timedelta(weeks=rng.randint(10, 26))
        if done % BATCH == 0:
            ctx.progress("care plans", BATCH)
            _flush(
                ctx, (CarePlan, plans), (Goal, goals), (GoalAction, actions), (GoalReview, reviews)
            )
    ctx.progress("care plans", len(enrolled) % BATCH)
    _flush(ctx, (CarePlan, plans), (Goal, goals), (GoalAction, actions), (GoalReview, reviews))
    return len(ctx.plan_goals)


def _flush(ctx: Context, *pairs) -> None:
    for model, rows in pairs:
        ctx.insert(model, rows)
        rows.clear()


def assessments(ctx: Context) -> int:
    """Activation (PAM-style) responses about once a year for 70% of the enrolled patients."""
    from sqlmodel import Session

    rng = ctx.rng
    with Session(bind=ctx.conn, expire_on_commit=False) as session:
        sync_builtins(session)
        version = current_version(session, "activation", ctx.care_group_id)
        definition = definition_of(version)
        session.commit()  # joins the generator's transaction: flushes, commits nothing
    items = [item.code for item in definition.items]
    rows = []
    ids = iter(ctx.ids(AssessmentResponse.__table__, len(ctx.patients) * (ctx.years + 1)))
    for done, patient in enumerate(ctx.patients, 1):
        if patient.enrolled_since and rng.random() < 0.7:
            mean = rng.uniform(1.6, 3.6)
            day = ctx.day_between(
                max(ctx.start, patient.enrolled_since), ctx.start + timedelta(300)
            )
            while day <= ctx.today:
                answers = {c: max(1, min(4, round(rng.gauss(mean, 0.55)))) for c in items}
                result = score(definition, answers)
                at = ctx.moment(day)
                rows.append(
                    {
                        "id": next(ids),
                        "patient_id": patient.id,
                        "instrument_version_id": version.id,
                        "instrument_code": version.code,
                        "instrument_version": version.version,
                        "status": ResponseStatus.completed,
                        "answers": answers,
                        "answered_count": result.answered_count,
                        "scorable": result.scorable,
                        "not_scorable_reason": result.reason_code,
                        "raw_score": float(result.raw),
                        "score": result.score,
                        "level": result.level.number if result.level else None,
                        "filled_by_role": "patient",
                        "started_at": at - timedelta(minutes=9),
                        "completed_at": at,
                    }
                )
                day += timedelta(days=rng.randint(330, 420))
                mean = min(3.9, max(1.2, mean + rng.uniform(-0.2, 0.3)))
        if done % BATCH == 0:
            ctx.progress("assessments", BATCH)
            ctx.insert(AssessmentResponse, rows)
            rows.clear()
    ctx.progress("assessments", len(ctx.patients) % BATCH)
    return ctx.insert(AssessmentResponse, rows)


def referrals(ctx: Context) -> int:
    """The care group's lifestyle catalogue and referrals for ~15% with their status history."""
    rng = ctx.rng
    catalogue = []
    for entry, iid in zip(CATALOGUE, ctx.ids(Intervention.__table__, len(CATALOGUE)), strict=True):
        row = Intervention(id=iid, care_group_id=ctx.care_group_id, **entry).model_dump()
        # Normalised as every other save path does (the model's before_insert hook).
        row["criteria"] = criteria_to_data(parse_criteria(row["criteria"]))
        row.update(created_at=ctx.now, updated_at=ctx.now)
        catalogue.append(row)
    ctx.insert(Intervention, catalogue)
    active = [row for row in catalogue if row["active"]]
    states = [s for s, _ in STATE_WEIGHTS]
    weights = [w for _, w in STATE_WEIGHTS]
    refs, events = [], []
    ref_ids = iter(ctx.ids(Referral.__table__, len(ctx.patients)))
    event_ids = iter(ctx.ids(ReferralEvent.__table__, len(ctx.patients) * 6))
    for patient in ctx.patients:
        if not patient.enrolled_since or rng.random() >= 0.15:
            continue
        suits = [
            i
            for i in active
            if not i["programmes"] or set(i["programmes"]) & set(patient.programmes)
        ]
        if not suits:
            continue
        intervention = rng.choice(suits)
        target = rng.choices(states, weights)[0]
        path = [rs.PROPOSED, *PATHS[target]]
        day = ctx.day_between(max(ctx.start, patient.enrolled_since), ctx.today - timedelta(60))
        rid = next(ref_ids)
        poh = ctx.poh[patient.practice_id]
        previous = None
        for state in path:
            events.append(
                {
                    "id": next(event_ids),
                    "referral_id": rid,
                    "from_state": previous,
                    "to_state": state,
                    "at": ctx.moment(day),
                    "on_date": day,
                    "actor_id": poh,
                    "actor_role": "professional",
                    "note": "",
                }
            )
            previous, last_day = state, day
            day = min(ctx.today, day + timedelta(days=rng.randint(3, 40)))
        refs.append(
            {
                "id": rid,
                "patient_id": patient.id,
                "intervention_id": intervention["id"],
                "state": previous,
                "state_since": last_day,
                "goal_id": None,
                "outcome": None,
                "created_by_id": poh,
                "created_at": events[-len(path)]["at"],
                "updated_at": events[-1]["at"],
                "version": len(path),
            }
        )
    ctx.progress("referrals", len(ctx.patients))
    ctx.insert(Referral, refs)
    ctx.insert(ReferralEvent, events)
    return len(refs)


def activity(ctx: Context) -> int:
    """Logged actions (the *do* of PDCA): 40% of the patients with a plan, about weekly."""
    rng = ctx.rng
    rows = []
    for done, (patient_id, goals) in enumerate(ctx.plan_goals.items(), 1):
        if goals and rng.random() < 0.4:
            goal_id, action_id, _ = rng.choice(goals)
            day = max(ctx.start, ctx.today - timedelta(days=365))
            while day <= ctx.today:
                rows.append(
                    {
                        "action_id": action_id,
                        "goal_id": goal_id,
                        "patient_id": patient_id,
                        "done_on": day,
                        "note": "",
                        "created_at": ctx.moment(day, 20),
                    }
                )
                day += timedelta(days=rng.randint(4, 10))
        if done % BATCH == 0 or done == len(ctx.plan_goals):
            ids = ctx.ids(ActionLog.__table__, len(rows))
            for row, rid in zip(rows, ids, strict=True):
                row.update(id=rid, client_token=f"gen-{ctx.seed}-{rid}")
            ctx.insert(ActionLog, rows)
            rows.clear()
    ctx.progress("activity", len(ctx.patients))
    return ctx.counts.get("action_log", 0)


# Per programme: what a telemonitored patient measures 4 times a day (BP as 2 pairs).
TELEMONITORING = {
    "DM2": "glucose",
    "CVRM": "bp",
    "hartfalen": "bp",
    "COPD": "spo2",
    "astma": "peak_flow",
}
_TYPICAL = {
    "glucose": (7.5, 1.8, "mmol/L"),
    "spo2": (94.0, 2.0, "%"),
    "peak_flow": (380.0, 60.0, "L/min"),
    "hba1c": (55.0, 9.0, "mmol/mol"),
    "weight": (84.0, 14.0, "kg"),
    "bmi": (28.5, 4.5, "kg/m2"),
}


def telemonitoring(ctx: Context) -> int:
    """Practice measurements for every enrolled patient (HbA1c, BP, weight, BMI, smoking) and
    4 readings a day over the whole period for 20% of the patients; open alerts for some."""
    rng = ctx.rng
    rows: list[dict] = []
    alerts: list[dict] = []
    total = 0

    def emit() -> None:
        nonlocal total
        for row, mid in zip(rows, ctx.ids(Measurement.__table__, len(rows)), strict=True):
            row["id"] = mid
        total += ctx.insert(Measurement, rows)
        rows.clear()

    def add(*reading_args) -> None:
        rows.append(_reading_row(*reading_args))

    for done, patient in enumerate(ctx.patients, 1):
        offset = rng.gauss(0, 1)
        if patient.enrolled_since:
            day = ctx.day_between(ctx.start, ctx.start + timedelta(days=90))
            while day <= ctx.today:
                at = ctx.moment(day)
                if "DM2" in patient.programmes:
                    mean, sd, unit = _TYPICAL["hba1c"]
                    add(
                        patient,
                        "hba1c",
                        round(mean + sd * offset + rng.gauss(0, 3)),
                        unit,
                        at,
                        "professional",
                    )
                add(
                    patient,
                    "bp_systolic",
                    round(138 + 12 * offset + rng.gauss(0, 8)),
                    "mm[Hg]",
                    at,
                    "professional",
                    f"p{patient.id}-{day}",
                )
                add(
                    patient,
                    "bp_diastolic",
                    round(82 + 6 * offset + rng.gauss(0, 5)),
                    "mm[Hg]",
                    at,
                    "professional",
                    f"p{patient.id}-{day}",
                )
                if rng.random() < 0.4:
                    weight = round(_TYPICAL["weight"][0] + 14 * offset + rng.gauss(0, 1), 1)
                    add(patient, "weight", weight, "kg", at, "professional")
                    add(
                        patient,
                        "bmi",
                        round(28.5 + 4.5 * offset + rng.gauss(0, 0.4), 1),
                        "kg/m2",
                        at,
                        "professional",
                    )
                day += timedelta(days=rng.randint(80, 190))
            rows.append(
                {
                    "patient_id": patient.id,
                    "type_code": "smoking_status",
                    "value": None,
                    "value_code": rng.choices(["current", "former", "never"], [2, 4, 5])[0],
                    "unit": "",
                    "measured_at": ctx.moment(ctx.today - timedelta(days=rng.randint(1, 400))),
                    "source": "professional",
                    "reading_id": None,
                    "note": "",
                    "created_at": ctx.now,
                }
            )
        if rng.random() < TELEMONITORED_SHARE:
            kind = TELEMONITORING[patient.programmes[0]]
            _device_readings(rng, patient, kind, offset, ctx.start, ctx.today, add)
            if rng.random() < 0.3:
                alerts.append(_alert(ctx, patient, kind))
        if len(rows) >= BATCH or done == len(ctx.patients):
            emit()
        if done % 1000 == 0:
            ctx.progress("telemonitoring", 1000)
    ctx.progress("telemonitoring", len(ctx.patients) % 1000)
    for row, aid in zip(alerts, ctx.ids(Alert.__table__, len(alerts)), strict=True):
        row["id"] = aid
    ctx.insert(Alert, alerts)
    return total


def _device_readings(rng, patient, kind: str, offset: float, first: date, last: date, add) -> None:
    """4 device readings a day from ``first`` to ``last`` (blood pressure: two pairs)."""
    day = first
    while day <= last:
        for slot, hour in enumerate((7, 12, 18, 22)):
            at = datetime.combine(day, time(hour, rng.randint(0, 59)), UTC)
            if kind == "bp":
                if slot % 2:
                    continue  # two pairs a day: 4 rows
                reading = f"t{patient.id}-{day}-{slot}"
                add(
                    patient,
                    "bp_systolic",
                    round(135 + 12 * offset + rng.gauss(0, 9)),
                    "mm[Hg]",
                    at,
                    "device",
                    reading,
                )
                add(
                    patient,
                    "bp_diastolic",
                    round(82 + 6 * offset + rng.gauss(0, 6)),
                    "mm[Hg]",
                    at,
                    "device",
                    reading,
                )
            else:
                mean, sd, unit = _TYPICAL[kind]
                add(
                    patient,
                    kind,
                    round(mean + sd * offset * 0.5 + rng.gauss(0, sd * 0.5), 1),
                    unit,
                    at,
                    "device",
                )
        day += timedelta(days=1)


def _alert(ctx: Context, patient: GeneratedPatient, kind: str) -> dict:
    type_code = "bp_systolic" if kind == "bp" else kind
    at = ctx.now - timedelta(hours=ctx.rng.randint(1, 400))
    return {
        "patient_id": patient.id,
        "rule_code": "trend_3_of_5",
        "type_code": type_code,
        "dedup_key": f"trend_3_of_5:{type_code}",
        "severity": "trend",
        "status": "open",
        "open_slot": 1,
        "first_at": at,
        "last_at": at,
        "occurrences": 1,
        "message": "%(off_target)s van de laatste %(count)s metingen halen het streefdoel "
        "niet (%(target)s).",
        "params": {"off_target": 3, "count": 5, "target": {"nl": "-", "en": "-"}},
        "note": "",
    }


def contracting(ctx: Context) -> int:
    """What the contracting indicators read beyond the plans: each goal's status history (one
    row from the goal as written, the same rebuild the demo uses), a patient activity day for
    every day with a logged action, and a shared-decision experience questionnaire in the
    last year for 30% of the patients with a plan (80% of them completed)."""
    from types import SimpleNamespace

    from sqlmodel import Session

    from zelfzorg.assessment.services import EXPERIENCE_CODE
    from zelfzorg.contracting.history import goal_rows_from_revisions
    from zelfzorg.contracting.models import GoalStatusHistory, PatientActivityDay

    # This run's care group only: the database may hold earlier generated care groups.
    own = (
        sa.select(Patient.id)  # type: ignore[call-overload]
        .join(Practice, Practice.id == Patient.practice_id)
        .where(Practice.care_group_id == ctx.care_group_id)
    )
    goal = Goal.__table__
    columns = ("id", "patient_id", "lifecycle", "programmes", "created_at")
    agreed = ("agreed_by_patient_at", "agreed_by_professional_at")
    history = []
    for row in ctx.conn.execute(
        sa.select(*(goal.c[c] for c in columns + agreed))
        .where(goal.c.patient_id.in_(own))
        .order_by(goal.c.id)
    ).mappings():
        history += goal_rows_from_revisions(SimpleNamespace(**row), [])
    ids = iter(ctx.ids(GoalStatusHistory.__table__, len(history)))
    for row in history:
        row["id"] = next(ids)
    ctx.insert(GoalStatusHistory, history)

    log = ActionLog.__table__
    days = ctx.conn.execute(
        sa.select(log.c.patient_id, log.c.done_on)
        .where(log.c.patient_id.in_(own))
        .distinct()
        .order_by(log.c.patient_id, log.c.done_on)
    ).all()
    ids = iter(ctx.ids(PatientActivityDay.__table__, len(days)))
    flags = {"logged_in": False, "measurement": False, "questionnaire": False}
    ctx.insert(
        PatientActivityDay,
        (
            {
                "id": next(ids),
                "patient_id": p,
                "day": d,
                "action": True,
                "review_preparation": False,
                **flags,
            }
            for p, d in days
        ),
    )

    rng = ctx.rng
    with Session(bind=ctx.conn, expire_on_commit=False) as session:
        version = current_version(session, EXPERIENCE_CODE, ctx.care_group_id)
        definition = definition_of(version)
    items = [item.code for item in definition.items]
    values = [o.value for o in definition.answer_options if not o.not_applicable]
    responses = []
    ids = iter(ctx.ids(AssessmentResponse.__table__, len(ctx.plan_goals)))
    first = max(ctx.start, ctx.today - timedelta(days=330))
    for patient_id in ctx.plan_goals:
        if rng.random() >= 0.3:
            continue
        at = ctx.moment(ctx.day_between(first, ctx.today - timedelta(days=1)))
        answers = {c: rng.choice(values) for c in items}
        done = rng.random() < 0.8
        result = score(definition, answers)
        responses.append(
            {
                "id": next(ids),
                "patient_id": patient_id,
                "instrument_version_id": version.id,
                "instrument_code": version.code,
                "instrument_version": version.version,
                "status": ResponseStatus.completed if done else ResponseStatus.in_progress,
                "answers": answers if done else {},
                "answered_count": result.answered_count if done else 0,
                "scorable": result.scorable if done else None,
                "not_scorable_reason": result.reason_code if done else None,
                "raw_score": float(result.raw) if done else None,
                "score": result.score if done else None,
                "level": None,
                "filled_by_role": "patient",
                "started_at": at - timedelta(minutes=6),
                "completed_at": at if done else None,
            }
        )
    ctx.insert(AssessmentResponse, responses)
    ctx.progress("contracting", len(ctx.patients))
    return len(history)


STEPS: list[tuple[str, Callable[[Context], int]]] = [
    ("care plans", care_plans),
    ("assessments", assessments),
    ("referrals", referrals),
    ("activity", activity),
    ("telemonitoring", telemonitoring),
    # Last, so that the rows of the earlier steps stay the same for a seed.
    ("contracting", contracting),
]


#: A care group is tens of thousands of patients; beyond these the command is a typing error
#: (and 5 years of history is the benchmark's case; dates before 1900 make no sense).
MAX_PATIENTS = 1_000_000
MAX_YEARS = 50


class GeneratorError(Exception):
    """Generation refused (e.g. bad sizes or a database that is not empty); shown by the CLI."""


def generate(
    engine: Engine,
    *,
    patients_n: int,
    practices_n: int,
    years: int,
    seed: int,
    today: date | None = None,
    progress: Callable[[str, int], None] = lambda _step, _n: None,
) -> dict[str, int]:
    """Build the care group in one transaction; returns rows written per table."""
    if patients_n < 1 or practices_n < 1 or years < 1:
        raise GeneratorError("--patients, --practices en --years moeten minstens 1 zijn.")
    if patients_n > MAX_PATIENTS:
        raise GeneratorError(f"--patients is hoogstens {format_fixed(MAX_PATIENTS, 0, 'nl')}.")
    if practices_n > patients_n:
        raise GeneratorError("--practices is hoogstens het aantal patiënten.")
    if years > MAX_YEARS:
        raise GeneratorError(f"--years is hoogstens {MAX_YEARS}.")
    reported: dict[str, int] = {}

    def tick(step: str, n: int) -> None:
        reported[step] = reported.get(step, 0) + n
        progress(step, n)

    with engine.begin() as conn:
        ctx = Context(conn, random.Random(seed), today or date.today(), years, seed, tick)
        organisations(ctx, n_practices=practices_n)
        patients(ctx, n_patients=patients_n)
        # Millions of readings: measurement_latest is worked out once at the end, not per
        # insert statement (telemonitoring/latest.py).
        with latest.bulk_insert(conn) as load:
            for name, step in STEPS:
                step(ctx)
                # Every step advances the bar by one patient count, whatever it reported.
                progress(name, max(0, patients_n - reported.get(name, 0)))
        ctx.counts["measurement_latest"] = load.written
        ctx.counts["lifestyle_eligibility"] = _eligibility(conn, ctx.today, ctx.now)
        ctx.counts["outcome_cohort_value"] = _outcome_snapshot(
            conn, ctx.care_group_id, ctx.today, ctx.now
        )
        refresh_statistics(conn)  # a bulk load: the planner must not see empty tables
        if conn.dialect.name == "postgresql":
            for table in ctx._next:
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    return dict(ctx.counts)


def readings_history(engine: Engine, patient_id: int, *, years: int, seed: int = 1) -> int:
    """Device readings, 4 a day, for ``years`` before one generated patient's first device
    reading (or before the generator's today), through the same bulk path as ``generate``:
    a long telemonitored record (the benchmark's 5-year overview) without generating years
    for the whole care group. Returns the rows written."""
    if years < 1 or years > MAX_YEARS:
        raise GeneratorError(f"--years ligt tussen 1 en {MAX_YEARS}.")
    table = Measurement.__table__
    with engine.begin() as conn:
        practice_id, born, sex = conn.execute(
            sa.select(Patient.practice_id, Patient.date_of_birth, Patient.sex).where(
                Patient.id == patient_id
            )
        ).one()
        programmes = [
            str(p)
            for (p,) in conn.execute(
                sa.select(Enrolment.programme)
                .where(Enrolment.patient_id == patient_id)
                .order_by(Enrolment.start_date, Enrolment.id)
            )
        ]
        first = conn.execute(
            sa.select(sa.func.min(table.c.measured_at)).where(
                table.c.patient_id == patient_id, table.c.source == "device"
            )
        ).scalar()
        last = (first.date() if first else date.today()) - timedelta(days=1)
        ctx = Context(conn, random.Random(seed), last, years, seed, lambda _step, _n: None)
        patient = GeneratedPatient(patient_id, practice_id, born, str(sex), programmes, None)
        kind = TELEMONITORING.get(programmes[0] if programmes else "", "glucose")
        rows: list[dict] = []

        def add(*reading_args) -> None:
            rows.append(_reading_row(*reading_args))

        _device_readings(ctx.rng, patient, kind, ctx.rng.gauss(0, 1), ctx.start, last, add)
        for row, mid in zip(rows, ctx.ids(table, len(rows)), strict=True):
            row["id"] = mid
        written = ctx.insert(Measurement, rows)
        refresh_statistics(conn)
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('measurement', 'id'), "
                    "(SELECT max(id) FROM measurement))"
                )
            )
    return written


def _eligibility(conn, today: date, now: datetime) -> int:
    """Fill the maintained lifestyle eligibility table (the app's own set-based rebuild)."""
    from sqlmodel import Session

    from zelfzorg.leefstijl import eligibility

    session = Session(bind=conn)
    try:
        written = eligibility.rebuild(session, today, now=now)
        session.flush()
    finally:
        session.close()
    return written


def _outcome_snapshot(conn, care_group_id: int, today: date, now: datetime) -> int:
    """The generated care group's snapshot of the comparison groups for ``today`` (the daily
    job's own code), so the day's screens read it as they would after the night."""
    from sqlmodel import Session

    from zelfzorg.outcomes import snapshot

    session = Session(bind=conn)
    try:
        written = snapshot.take(session, care_group_id, today, now=now)[1]
    finally:
        session.close()
    return written


def step_names() -> list[str]:
    return ["patients", *(name for name, _ in STEPS)]
