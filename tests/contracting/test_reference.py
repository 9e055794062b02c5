"""Every SQL patient indicator equals a plain Python reference on a generated care group
(seeded random: enrolments starting and ending around d, moves, goal histories, measurements
around the 12-month edge, activity, assessments)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from tests.contracting.helpers import add_activity, add_experience, add_goal, add_review, move, noon
from tests.factories import make_care_group, make_patient, make_practice, make_user
from tests.leefstijl.helpers import add_activation, add_measurement
from zelfzorg.accounts.models import Role
from zelfzorg.contracting.engine import age_band
from zelfzorg.contracting.indicators import years_before
from zelfzorg.contracting.report_data import Stratum
from zelfzorg.contracting.services import compute_report
from zelfzorg.patients.models import Enrolment, Programme, Sex

START, END = date(2025, 1, 1), date(2025, 12, 31)
PROGRAMMES = [Programme.DM2, Programme.CVRM, Programme.COPD, Programme.astma]
STATUSES = ["proposed", "active", "on-hold", "completed", "cancelled"]


def _day(rng, lo=date(2024, 6, 1), hi=date(2026, 3, 1)) -> date:
    return lo + timedelta(days=rng.randrange((hi - lo).days))


def generate(db, seed: int):
    rng = random.Random(seed)
    group = make_care_group(db)
    practices = [make_practice(db, group) for _ in range(3)]
    people = []
    for _ in range(45):
        home = rng.choice(practices)
        born = date(1935, 1, 1) + timedelta(days=rng.randrange(365 * 40))
        if rng.random() < 0.1:
            born = years_before(END, rng.choice([70, 80]))  # birthday exactly on d
        patient = make_patient(
            db, home, born=born, sex=rng.choice([Sex.male, Sex.female]), programmes=()
        )
        person = {"patient": patient, "enrolments": [], "periods": [(home.id, born, None)]}
        for programme in rng.sample(PROGRAMMES, rng.choice([0, 1, 1, 2, 3])):
            start = rng.choice([_day(rng), END, END + timedelta(days=1), date(2020, 1, 1)])
            end = rng.choice([None, None, END, _day(rng)])
            if end is not None and end <= start:
                end = None
            db.add(
                Enrolment(
                    patient_id=patient.id, programme=programme, start_date=start, end_date=end
                )
            )
            person["enrolments"].append((str(programme), start, end))
        if rng.random() < 0.2:
            target = rng.choice(practices)
            on = rng.choice([_day(rng), END, END + timedelta(days=1)])
            if target.id != home.id and on > born:
                move(db, patient, target.id, on)
                person["periods"] = [(home.id, born, on), (target.id, on, None)]
        person["goals"] = []
        for _ in range(rng.choice([0, 1, 2])):
            cuts = sorted(_day(rng) for _ in range(rng.choice([1, 2, 3])))
            cuts = sorted(set(cuts))
            spans = [
                (rng.choice(STATUSES), cuts[i], cuts[i + 1] if i + 1 < len(cuts) else None)
                for i in range(len(cuts))
            ]
            agreed_on = rng.choice([None, cuts[0], cuts[-1]])
            programmes = tuple(p for p, _s, _e in person["enrolments"] if rng.random() < 0.6)
            goal = add_goal(db, patient, spans, agreed_on=agreed_on, programmes=programmes)
            reviews = [_day(rng) for _ in range(rng.choice([0, 1]))]
            for on in reviews:
                add_review(db, goal, on)
            person["goals"].append((spans, agreed_on, programmes, reviews))
        person["measurements"] = []
        for code, lo, hi in [
            ("hba1c", 40, 70),
            ("bp_systolic", 120, 160),
            ("bmi", 20, 32),
            ("weight", 60, 110),
            ("height", 150, 195),
        ]:
            edge = [years_before(END, 1), years_before(END, 1) + timedelta(days=1)]
            days = {rng.choice([_day(rng), *edge]) for _ in range(rng.choice([0, 1, 2]))}
            for on in sorted(days):  # one value per type and day: "latest" is unambiguous
                value = float(rng.randint(lo, hi))
                superseded = rng.random() < 0.15
                add_measurement(db, patient.id, code, value, at=noon(on), superseded=superseded)
                person["measurements"].append((code, on, value, superseded))
        if rng.random() < 0.3:
            on = _day(rng)
            add_measurement(
                db, patient.id, "smoking_status", value_code="never", at=noon(on), unit=""
            )
            person["measurements"].append(("smoking_status", on, None, False))
        activated = rng.choice([None, _day(rng)])
        if activated is not None:
            user = make_user(db, Role.patient, patient=patient)
            user.activated_at = noon(activated)
            db.add(user)
        person["activated"] = activated
        person["activity"] = sorted(
            {_day(rng, date(2025, 9, 1)) for _ in range(rng.choice([0, 1]))}
        )
        for on in person["activity"]:
            add_activity(db, patient.id, on)
        person["activation"] = []
        days = {
            _day(rng, date(2024, 10, 1), date(2026, 1, 1)) for _ in range(rng.choice([0, 1, 2]))
        }
        for on in sorted(days):
            level = rng.randint(1, 4)
            add_activation(db, patient.id, level, at=noon(on))
            person["activation"].append((on, level))
        person["experience"] = []
        for _ in range(rng.choice([0, 1])):
            invited = _day(rng)
            completed = rng.choice([None, invited + timedelta(days=rng.randint(0, 40))])
            score = float(rng.randint(1, 100))
            add_experience(db, patient.id, invited=invited, completed=completed, score=score)
            person["experience"].append((invited, completed, score))
        people.append(person)
    db.commit()
    return group, practices, people


# --- the Python reference ----------------------------------------------------------------------


def active(start, end, d):
    return start <= d and (end is None or end > d)


def practice_on(person, d):
    for practice_id, start, end in person["periods"]:
        if active(start, end, d):
            return practice_id
    return None


def programmes_on(person, d):
    return {p for p, s, e in person["enrolments"] if active(s, e, d)}


def goal_on(goal, d):
    spans, agreed_on, programmes, reviews = goal
    for status, start, end in spans:
        if active(start, end, d):
            agreed = agreed_on is not None and agreed_on <= start
            return status, agreed, (agreed_on if agreed else None)
    return None


def latest(person, code, d):
    since = years_before(d, 1) + timedelta(days=1)
    values = [(on, v) for c, on, v, sup in person["measurements"] if c == code and not sup]
    values = [(on, v) for on, v in values if since <= on <= d and v is not None]
    return max(values)[1] if values else None  # ties on a day: any (generated values differ)


def measured(person, code, d):
    since = years_before(d, 1) + timedelta(days=1)
    return any(
        c == code and not sup and since <= on <= d for c, on, _v, sup in person["measurements"]
    )


def reference(people, start, end):
    d = end
    results: dict[str, Counter] = {}

    def count(ind, practice, den, num, stratum=None):
        c = results.setdefault(ind, Counter())
        for place in (practice, None):
            c[(place, stratum, "den")] += int(den)
            c[(place, stratum, "num")] += int(den and num)

    since12 = years_before(d, 1) + timedelta(days=1)
    for person in people:
        practice = practice_on(person, d)
        programmes = programmes_on(person, d)
        if practice is None or not programmes:
            continue
        goals = [(g, goal_on(g, d)) for g in person["goals"]]
        i1_goals = [(g, s) for g, s in goals if s and s[1] and s[0] in ("active", "completed")]
        i1 = bool(i1_goals)
        count("I1", practice, True, i1)
        reviewed12 = any(since12 <= r <= d for g in person["goals"] for r in g[3])
        count("I1b", practice, i1, any(s[2] >= since12 for _g, s in i1_goals) or reviewed12)
        covered = all(
            any(s and s[0] in ("active", "completed") and p in g[2] for g, s in goals)
            for p in programmes
        )
        count("I2", practice, len(programmes) >= 2, covered)
        agreed_any = any(s and s[1] for _g, s in goals)
        count(
            "I3",
            practice,
            agreed_any,
            any(start <= r <= end for g in person["goals"] for r in g[3]),
        )
        count("P1", practice, True, person["activated"] is not None and person["activated"] <= d)
        count(
            "P2", practice, True, any(d - timedelta(days=89) <= a <= d for a in person["activity"])
        )
        scored = [
            (on, lvl) for on, lvl in person["activation"] if d - timedelta(days=364) <= on <= d
        ]
        count("A1", practice, True, bool(scored))
        if scored:
            up_to_d = [(on, lvl) for on, lvl in person["activation"] if on <= d]
            count("A2", practice, True, True, Stratum("level", str(max(up_to_d)[1])))
        dm2 = "DM2" in programmes
        o1 = measured(person, "hba1c", d)
        count("O1", practice, dm2, o1)
        hba1c = latest(person, "hba1c", d)
        count("O1b", practice, dm2 and o1, hba1c is not None and hba1c <= 53)
        o2den = bool(programmes & {"DM2", "CVRM"})
        o2 = measured(person, "bp_systolic", d)
        count("O2", practice, o2den, o2)
        sbp = latest(person, "bp_systolic", d)
        count("O2b", practice, o2den and o2, sbp is not None and sbp < 140)
        o3 = measured(person, "bmi", d) or (
            measured(person, "weight", d) and measured(person, "height", d)
        )
        count("O3", practice, True, o3)
        bmi = latest(person, "bmi", d)
        weight, height = latest(person, "weight", d), latest(person, "height", d)
        if bmi is not None:
            on_target = bmi < 25
        else:  # weight / (height in m)^2 < 25, in integers
            on_target = (
                weight is not None and height is not None and weight * 10000 < 25 * height**2
            )
        count("O3b", practice, o3, on_target)
        count(
            "O4",
            practice,
            bool(programmes & {"COPD", "astma"}),
            measured(person, "smoking_status", d),
        )
        band = age_band(person["patient"].date_of_birth, d)
        count(
            "O1b",
            practice,
            dm2 and o1,
            hba1c is not None and hba1c <= 53,
            Stratum("age_band", band),
        )
        responses = [x for x in person["experience"] if x[1] and start <= x[1] <= end]
        invited = any(start <= x[0] <= end for x in person["experience"])
        count("I4", practice, invited or bool(responses), bool(responses))
    return results


def test_sql_indicators_equal_the_python_reference(db):
    for seed in (1, 2):
        group, practices, people = generate(db, seed)
        for start, end in [(START, END), (date(2025, 7, 1), date(2025, 9, 30))]:
            rep = compute_report(db, care_group_id=group.id, start=start, end=end)
            expected = reference(people, start, end)
            for indicator, counter in expected.items():
                for place in [None, *(p.id for p in practices)]:
                    strata = {key[1] for key in counter if key[0] == place}
                    for stratum in strata | ({None} if indicator != "A2" else set()):
                        fig = rep.figure(indicator, place, stratum)
                        want = (counter[(place, stratum, "num")], counter[(place, stratum, "den")])
                        got = (fig.numerator, fig.denominator) if fig else (0, 0)
                        if indicator == "A2" and fig:
                            got = (fig.numerator, want[1])
                        assert got == want, (seed, start, indicator, place, stratum)
