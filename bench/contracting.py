"""The contracting report scenario: every indicator for the care group and each practice.

Ours is the app's own path, ``compute_report`` (what the report page, the exports, the CLI and
the schedule call), with strata, as the report page shows it. The reference is hand-written
SQL for the same indicators (DESIGN.md section 4), written from the definitions, not from the
engine's generated SQL: a few plain statements over one row of flags per patient. The bench
test checks that both give the same numbers on the bench data, so the reference is honest.

Peak RSS is measured in a child process that builds the report once
(``python -m bench.contracting URL CARE_GROUP START END``): the child's own high-water mark,
``VmHWM`` of /proc/self/status, which it prints. Not ``os.wait4``'s ``ru_maxrss``: Linux keeps
the parent's peak across fork and exec in the child's ``ru_maxrss``, so that figure was the
bench process's own memory (530 MB after generating 50,000 patients; the child's own peak was
113 MB).

L2's denominator depends on the care group's lifestyle catalogue; the reference writes out the
criteria of the catalogue the generator loads (``zelfzorg.leefstijl.demo.CATALOGUE``), by hand.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
RSS_LIMIT_MB = 300

# --- the hand-written reference ------------------------------------------------------------------

# One row per patient of the population on d with a 0/1 column per condition. Instants are
# parameters (the first moment of a day in Amsterdam, in UTC); :d is the reference date.
FLAGS = """
WITH pop AS (
    SELECT pp.patient_id AS pid, pp.practice_id
    FROM patient_practice_period pp JOIN practice pr ON pr.id = pp.practice_id
    WHERE pr.care_group_id = :cg AND pp.start_date <= :d
      AND (pp.end_date IS NULL OR pp.end_date > :d)
      AND EXISTS (SELECT 1 FROM enrolment e WHERE e.patient_id = pp.patient_id
                  AND e.start_date <= :d AND (e.end_date IS NULL OR e.end_date > :d))
),
prog AS (
    SELECT DISTINCT e.patient_id AS pid, e.programme
    FROM enrolment e JOIN pop ON pop.pid = e.patient_id
    WHERE e.start_date <= :d AND (e.end_date IS NULL OR e.end_date > :d)
),
progs AS (
    SELECT pid, count(*) AS n,
           max(CASE WHEN programme = 'DM2' THEN 1 ELSE 0 END) AS dm2,
           max(CASE WHEN programme = 'CVRM' THEN 1 ELSE 0 END) AS cvrm,
           max(CASE WHEN programme = 'COPD' THEN 1 ELSE 0 END) AS copd,
           max(CASE WHEN programme = 'astma' THEN 1 ELSE 0 END) AS astma
    FROM prog GROUP BY pid
),
goals AS (
    SELECT h.patient_id AS pid,
           max(CASE WHEN h.agreed THEN 1 ELSE 0 END) AS agreed,
           max(CASE WHEN h.agreed AND h.status IN ('active', 'completed')
                    THEN 1 ELSE 0 END) AS counted,
           max(CASE WHEN h.agreed AND h.status IN ('active', 'completed')
                     AND h.agreed_on >= :t12 THEN 1 ELSE 0 END) AS agreed_recently
    FROM goal_status_history h
    WHERE h.valid_from <= :d AND (h.valid_to IS NULL OR h.valid_to > :d)
    GROUP BY h.patient_id
),
uncovered AS (
    SELECT DISTINCT prog.pid FROM prog
    WHERE NOT EXISTS (
        SELECT 1 FROM goal_status_history h
        WHERE h.patient_id = prog.pid AND h.valid_from <= :d
          AND (h.valid_to IS NULL OR h.valid_to > :d)
          AND h.status IN ('active', 'completed')
          AND h.programmes LIKE '%|' || prog.programme || '|%')
),
reviews AS (
    SELECT patient_id AS pid,
           max(CASE WHEN reviewed_at >= :p_start THEN 1 ELSE 0 END) AS in_p,
           max(CASE WHEN reviewed_at >= :m12 THEN 1 ELSE 0 END) AS recently
    FROM goal_review
    WHERE reviewed_at >= :review_from AND reviewed_at < :end_i
    GROUP BY patient_id
),
experience AS (
    SELECT r.patient_id AS pid, r.id, r.status, r.scorable, r.score, r.started_at,
           r.completed_at, r.instrument_code
    FROM assessment_response r JOIN instrument_version v ON v.id = r.instrument_version_id
    WHERE v.kind = 'experience'
),
responded AS (
    SELECT pid, score, ROW_NUMBER() OVER (PARTITION BY pid
                                          ORDER BY completed_at DESC, id DESC) AS rn
    FROM experience
    WHERE status = 'completed' AND scorable AND score IS NOT NULL
      AND completed_at >= :p_start AND completed_at < :end_i
),
invited AS (
    SELECT DISTINCT pid FROM experience WHERE started_at >= :p_start AND started_at < :end_i
),
offered AS (
    SELECT DISTINCT ref.patient_id AS pid, i.internet_based
    FROM lifestyle_referral ref
    JOIN lifestyle_intervention i ON i.id = ref.intervention_id
    WHERE EXISTS (
        SELECT 1 FROM lifestyle_referral_event ev
        WHERE ev.referral_id = ref.id AND ev.on_date >= :p_start_day AND ev.on_date <= :d
          AND (ev.to_state IN ('offered', 'accepted', 'started', 'completed', 'stopped')
               OR (ev.to_state = 'declined' AND EXISTS (
                   SELECT 1 FROM lifestyle_referral_event earlier
                   WHERE earlier.referral_id = ev.referral_id AND earlier.id < ev.id
                     AND earlier.to_state IN ('offered', 'accepted', 'started', 'completed',
                                             'stopped')))))
),
offers AS (
    SELECT pid, 1 AS any_offer, max(CASE WHEN internet_based THEN 1 ELSE 0 END) AS internet
    FROM offered GROUP BY pid
),
activated AS (
    SELECT DISTINCT patient_id AS pid FROM user_account
    WHERE role = 'patient' AND patient_id IS NOT NULL AND activated_at IS NOT NULL
      AND activated_at < :end_i
),
active_days AS (
    SELECT DISTINCT patient_id AS pid FROM patient_activity_day
    WHERE day >= :d89 AND day <= :d
),
activation AS (
    SELECT r.patient_id AS pid, r.level, r.completed_at,
           ROW_NUMBER() OVER (PARTITION BY r.patient_id
                              ORDER BY r.completed_at DESC, r.id DESC) AS rn
    FROM assessment_response r JOIN instrument_version v ON v.id = r.instrument_version_id
    WHERE v.kind = 'activation' AND r.status = 'completed' AND r.scorable
      AND r.level IS NOT NULL AND r.completed_at < :end_i
),
-- Latest current value per patient and code in the 12 months up to d (O indicators): one
-- probe of the (patient, type, time) index per patient and code.
latest12 AS (
    SELECT pid,
           (SELECT m.value FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'hba1c' AND m.superseded_at IS NULL AND m.value IS NOT NULL
              AND m.measured_at >= :m12 AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS hba1c,
           (SELECT m.value FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'bp_systolic' AND m.superseded_at IS NULL AND m.value IS NOT NULL
              AND m.measured_at >= :m12 AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS systolic,
           (SELECT m.value FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'bmi' AND m.superseded_at IS NULL AND m.value IS NOT NULL
              AND m.measured_at >= :m12 AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS bmi,
           (SELECT m.value FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'weight' AND m.superseded_at IS NULL AND m.value IS NOT NULL
              AND m.measured_at >= :m12 AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS weight,
           (SELECT m.value FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'height' AND m.superseded_at IS NULL AND m.value IS NOT NULL
              AND m.measured_at >= :m12 AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS height
    FROM pop
),
smoking12 AS (
    SELECT pid FROM pop WHERE EXISTS (
        SELECT 1 FROM measurement m WHERE m.patient_id = pop.pid
          AND m.type_code = 'smoking_status' AND m.superseded_at IS NULL
          AND m.value_code IS NOT NULL AND m.measured_at >= :m12 AND m.measured_at < :end_i)
),
-- L2's eligibility facts: the latest current row per code before the end of d (its value
-- known when not null and not older than 400 days; smoking status whatever its age).
facts AS (
    SELECT pid,
           (SELECT CASE WHEN m.measured_at >= :fresh THEN m.value END
            FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'bmi' AND m.superseded_at IS NULL AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS bmi,
           (SELECT CASE WHEN m.measured_at >= :fresh THEN m.value END
            FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'waist' AND m.superseded_at IS NULL AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS waist,
           (SELECT m.value_code FROM measurement m WHERE m.patient_id = pop.pid
              AND m.type_code = 'smoking_status' AND m.superseded_at IS NULL
              AND m.measured_at < :end_i
            ORDER BY m.measured_at DESC, m.id DESC LIMIT 1) AS smoking
    FROM pop
),
eligible AS (
    -- The bench catalogue (leefstijl/demo.py CATALOGUE), active interventions only:
    -- CooL: age >= 18 and (BMI >= 30 or (BMI >= 25 and DM2 or CVRM));
    -- SLIMMER: DM2, BMI >= 25, age 40-75; stop smoking: smoking 'current';
    -- Beweegkuur: DM2, CVRM or COPD, (BMI >= 25 or waist >= 88 female / 102 male, 102 when
    -- the sex is neither) and activation level 1-3; online DM2 module: DM2; walking group:
    -- age >= 50.
    SELECT pop.pid FROM pop
    JOIN patient p ON p.id = pop.pid
    JOIN progs ON progs.pid = pop.pid
    LEFT JOIN facts f ON f.pid = pop.pid
    LEFT JOIN activation a ON a.pid = pop.pid AND a.rn = 1
    WHERE progs.dm2 = 1
       OR p.date_of_birth <= :born50
       OR f.smoking = 'current'
       OR (p.date_of_birth <= :born18
           AND (f.bmi >= 30 OR (f.bmi >= 25 AND progs.cvrm = 1)))
       OR ((progs.cvrm = 1 OR progs.copd = 1) AND a.level IN (1, 2, 3)
           AND (f.bmi >= 25
                OR (p.sex = 'female' AND f.waist >= 88)
                OR (p.sex <> 'female' AND f.waist >= 102)))
),
flags AS MATERIALIZED (
SELECT pop.pid, pop.practice_id, p.sex,
       CASE WHEN p.date_of_birth > :born70 THEN '<70'
            WHEN p.date_of_birth > :born80 THEN '70-79' ELSE '>=80' END AS band,
       coalesce(g.counted, 0) AS i1,
       CASE WHEN g.counted = 1 AND (g.agreed_recently = 1 OR rv.recently = 1)
            THEN 1 ELSE 0 END AS i1b,
       CASE WHEN progs.n >= 2 THEN 1 ELSE 0 END AS multi,
       CASE WHEN un.pid IS NULL THEN 1 ELSE 0 END AS covered,
       coalesce(g.agreed, 0) AS i3_den,
       coalesce(rv.in_p, 0) AS reviewed,
       CASE WHEN inv.pid IS NOT NULL OR resp.pid IS NOT NULL THEN 1 ELSE 0 END AS i4_den,
       CASE WHEN resp.pid IS NOT NULL THEN 1 ELSE 0 END AS i4,
       resp.score AS i4_score,
       CASE WHEN el.pid IS NOT NULL THEN 1 ELSE 0 END AS l2_den,
       coalesce(o.any_offer, 0) AS offered,
       coalesce(o.internet, 0) AS internet,
       CASE WHEN act.pid IS NOT NULL THEN 1 ELSE 0 END AS p1,
       CASE WHEN ad.pid IS NOT NULL THEN 1 ELSE 0 END AS p2,
       CASE WHEN a.completed_at >= :a365 THEN 1 ELSE 0 END AS a1,
       a.level AS a2_level,
       progs.dm2, progs.cvrm, CASE WHEN progs.copd = 1 OR progs.astma = 1 THEN 1 ELSE 0 END
           AS copd_astma,
       CASE WHEN l.hba1c IS NOT NULL THEN 1 ELSE 0 END AS o1,
       CASE WHEN l.hba1c <= 53 THEN 1 ELSE 0 END AS o1b,
       CASE WHEN l.systolic IS NOT NULL THEN 1 ELSE 0 END AS o2,
       CASE WHEN l.systolic < 140 THEN 1 ELSE 0 END AS o2b,
       CASE WHEN l.bmi IS NOT NULL OR (l.weight IS NOT NULL AND l.height IS NOT NULL)
            THEN 1 ELSE 0 END AS o3,
       CASE WHEN l.bmi < 25 OR (l.bmi IS NULL AND l.weight * 10000.0 < 25 * l.height * l.height)
            THEN 1 ELSE 0 END AS o3b,
       CASE WHEN s.pid IS NOT NULL THEN 1 ELSE 0 END AS o4
FROM pop
JOIN patient p ON p.id = pop.pid
JOIN progs ON progs.pid = pop.pid
LEFT JOIN goals g ON g.pid = pop.pid
LEFT JOIN uncovered un ON un.pid = pop.pid
LEFT JOIN reviews rv ON rv.pid = pop.pid
LEFT JOIN responded resp ON resp.pid = pop.pid AND resp.rn = 1
LEFT JOIN invited inv ON inv.pid = pop.pid
LEFT JOIN eligible el ON el.pid = pop.pid
LEFT JOIN offers o ON o.pid = pop.pid
LEFT JOIN activated act ON act.pid = pop.pid
LEFT JOIN active_days ad ON ad.pid = pop.pid
LEFT JOIN activation a ON a.pid = pop.pid AND a.rn = 1
LEFT JOIN latest12 l ON l.pid = pop.pid
LEFT JOIN smoking12 s ON s.pid = pop.pid
)
"""

# (indicator, denominator expression, numerator expression) over the flag columns; the
# numerator is always taken within the denominator.
INDICATORS = [
    ("I1", "1", "i1"),
    ("I1b", "i1", "i1b"),
    ("I2", "multi", "covered"),
    ("I3", "i3_den", "reviewed"),
    ("I4", "i4_den", "i4"),
    ("L2", "l2_den", "offered"),
    ("L3", "l2_den * offered", "internet"),
    ("P1", "1", "p1"),
    ("P2", "1", "p2"),
    ("A1", "1", "a1"),
    ("O1", "dm2", "o1"),
    ("O1b", "dm2 * o1", "o1b"),
    ("O2", "CASE WHEN dm2 = 1 OR cvrm = 1 THEN 1 ELSE 0 END", "o2"),
    ("O2b", "CASE WHEN dm2 = 1 OR cvrm = 1 THEN o2 ELSE 0 END", "o2b"),
    ("O3", "1", "o3"),
    ("O3b", "o3", "o3b"),
    ("O4", "copd_astma", "o4"),
]


def _sums() -> str:
    parts = []
    for _id, den, num in INDICATORS:
        parts.append(f"sum({den})")
        parts.append(f"sum(({den}) * ({num}))")
    parts.append("sum(CASE WHEN i4_den = 1 AND i4 = 1 THEN i4_score END)")
    parts.append("count(CASE WHEN i4_den = 1 AND i4 = 1 THEN i4_score END)")
    return ", ".join(parts)


_ZEROS = ", ".join(["NULL"] * (2 * len(INDICATORS) + 1))
# The three groupings of the one flags row per patient, in one statement: by (practice, sex,
# age band), by (practice, programme) and A2's count per (practice, activation level).
GROUPINGS = (
    f"SELECT 'people', practice_id, sex, band, NULL, {_sums()} FROM flags "
    "GROUP BY practice_id, sex, band "
    f"UNION ALL SELECT 'programme', flags.practice_id, NULL, NULL, prog.programme, {_sums()} "
    "FROM flags JOIN (SELECT DISTINCT patient_id, programme FROM enrolment "
    "WHERE start_date <= :d AND (end_date IS NULL OR end_date > :d)) prog "
    "ON prog.patient_id = flags.pid GROUP BY flags.practice_id, prog.programme "
    "UNION ALL SELECT 'level', practice_id, NULL, NULL, CAST(a2_level AS VARCHAR(4)), "
    f"count(*), {_ZEROS} FROM flags WHERE a1 = 1 GROUP BY practice_id, a2_level"
)


def _statement_sql(dialect: str) -> dict[str, str]:
    pairs = (
        "(SELECT count(DISTINCT j.value) FROM json_each(i.programmes) j)"
        if dialect == "sqlite"
        else "(SELECT count(DISTINCT j) FROM json_array_elements_text(i.programmes) j)"
    )
    return {
        "V1": "SELECT status IN ('in_development', 'adopted') AND covers_patient_involvement "
        "AND covers_incentives FROM contracting_policy_version WHERE care_group_id = :cg "
        "AND effective_on <= :d ORDER BY effective_on DESC, id DESC LIMIT 1",
        "V2": "SELECT count(*) FROM contracting_development_action a WHERE a.id IN "
        "(SELECT max(id) FROM contracting_development_action WHERE care_group_id = :cg "
        "GROUP BY action_key) AND NOT a.deleted AND a.on_date >= :p_start_day "
        "AND a.on_date <= :d",
        "P0": "SELECT on_list FROM contracting_platform_statement WHERE care_group_id = :cg "
        "AND stated_on <= :d ORDER BY stated_on DESC, id DESC LIMIT 1",
        "L1": f"SELECT coalesce(sum(CASE WHEN i.zorgstandaard_conform THEN {pairs} ELSE 0 END), 0),"
        f" coalesce(sum({pairs}), 0) FROM lifestyle_intervention i "
        "WHERE i.care_group_id = :cg AND i.active",
    }


def parameters(care_group_id: int, start: date, end: date) -> dict:
    from zelfzorg.contracting.history import utc_end, utc_start
    from zelfzorg.contracting.indicators import years_before
    from zelfzorg.leefstijl.criteria.sql import last_birth_date

    d = end
    t12 = years_before(d, 1) + timedelta(days=1)
    return {
        "cg": care_group_id,
        "d": d,
        "t12": t12,
        "p_start_day": start,
        "d89": d - timedelta(days=89),
        "p_start": utc_start(start),
        "m12": utc_start(t12),
        "review_from": utc_start(min(start, t12)),
        "end_i": utc_end(d),
        "a365": utc_start(d - timedelta(days=364)),
        "fresh": utc_start(d - timedelta(days=400)),
        "born70": years_before(d, 70),
        "born80": years_before(d, 80),
        "born18": last_birth_date(d, 18),
        "born50": last_birth_date(d, 50),
    }


def _bound(sql: str, params: dict) -> sa.TextClause:
    """The text with its parameters typed as the columns they are compared with (dates as
    dates, instants as the UTC timestamp type of the models)."""
    from zelfzorg.models_base import UTCDateTime

    statement = sa.text(sql)
    types = []
    for name, value in params.items():
        if not re.search(rf":{name}\b", sql):
            continue
        if isinstance(value, date) and hasattr(value, "hour"):
            types.append(sa.bindparam(name, type_=UTCDateTime()))
        elif isinstance(value, date):
            types.append(sa.bindparam(name, type_=sa.Date()))
    return statement.bindparams(*types)


def reference_figures(conn, care_group_id: int, start: date, end: date, practice_ids) -> dict:
    """Hand-written SQL: {(indicator, practice id or None, stratum or None): (numerator,
    denominator, statement, mean)}, the same cells the report has."""
    params = parameters(care_group_id, start, end)
    cells: dict = defaultdict(lambda: [0, 0, 0.0, 0])
    wanted = set(practice_ids)

    def add(key, den, num, vsum=0.0, vcount=0):
        cell = cells[key]
        cell[0] += int(num or 0)
        cell[1] += int(den or 0)
        cell[2] += float(vsum or 0)
        cell[3] += int(vcount or 0)

    def each_indicator(row, practice, keys):
        sums = row[len(row) - 2 * len(INDICATORS) - 2 :]
        for i, (indicator, _den, _num) in enumerate(INDICATORS):
            den, num = sums[2 * i], sums[2 * i + 1]
            vsum, vcount = (sums[-2], sums[-1]) if indicator == "I4" else (0.0, 0)
            for key in keys:
                if key is not None and not den:
                    continue
                for place in (practice, None):
                    add((indicator, place, key), den, num, vsum, vcount)

    levels: dict = defaultdict(int)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SET LOCAL jit = off"))  # as the report does (engine.compute)
    for row in conn.execute(_bound(FLAGS + GROUPINGS, params), params):
        grouping, practice = row[0], row[1]
        if practice not in wanted:
            continue
        if grouping == "people":
            each_indicator(row, practice, [None, ("sex", str(row[2])), ("age_band", row[3])])
        elif grouping == "programme":
            each_indicator(row, practice, [("programme", str(row[4]))])
        else:
            for place in (practice, None):
                levels[(place, str(row[4]))] += row[5]
                levels[(place, None)] += row[5]
    figures: dict = {}
    from zelfzorg.contracting.engine import mean_of

    for place in [None, *practice_ids]:
        for indicator, _den, _num in INDICATORS:
            cells[(indicator, place, None)]
    for (indicator, place, key), (num, den, vsum, vcount) in cells.items():
        mean = mean_of(vsum, vcount) if indicator == "I4" else None
        figures[(indicator, place, key)] = (num, den, None, mean)
    for place in [None, *practice_ids]:
        total = levels[(place, None)]
        figures[("A2", place, None)] = (total, total, None, None)
    for (place, level), count in levels.items():
        if level is not None:
            figures[("A2", place, ("level", level))] = (count, levels[(place, None)], None, None)
    for indicator, sql in _statement_sql(conn.dialect.name).items():
        row = conn.execute(_bound(sql, params), params).first()
        if indicator == "L1":
            figures[("L1", None, None)] = (int(row[0]), int(row[1]), None, None)
        elif indicator == "V2":
            figures[("V2", None, None)] = (None, None, bool(row[0]), None)
        else:
            figures[(indicator, None, None)] = (None, None, bool(row and row[0]), None)
    return figures


def report_figures(data) -> dict:
    """The same mapping from a report's figures."""
    return {
        (
            f.indicator,
            f.practice_id,
            (f.stratum.key, f.stratum.value) if f.stratum else None,
        ): (f.numerator, f.denominator, f.statement, f.mean)
        for f in data.figures
    }


# --- the scenario --------------------------------------------------------------------------------


def report_period(today: date) -> tuple[date, date]:
    """The calendar year up to ``today`` (the report's default period)."""
    return date(today.year, 1, 1), today


def child_peak_rss_mb(url: str, care_group_id: int, start: date, end: date) -> float:
    """Peak resident memory (MB) of a fresh process that builds the report once."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.contracting",
            url,
            str(care_group_id),
            start.isoformat(),
            end.isoformat(),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if process.returncode != 0:
        raise RuntimeError(f"report child exited with {process.returncode}")
    found = re.search(r"^peak_rss_kb (\d+)$", process.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError("report child did not print its peak RSS")
    return int(found.group(1)) / 1024


def own_peak_rss_kb() -> int:
    """This process's peak resident memory in kB (VmHWM: its own address space only)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def scenario(engine, url: str, care_group_id: int, today: date, repeat: int, timed, compare):
    """One row: the report (care group + every practice, all indicators) against the
    hand-written SQL, with the child's peak RSS in the note."""
    from sqlmodel import Session

    from zelfzorg.contracting.services import compute_report, practices_of

    start, end = report_period(today)
    with Session(engine) as session:
        practice_ids = [p.id for p in practices_of(session, care_group_id)]

    def ours():
        with Session(engine) as session:
            return compute_report(session, care_group_id=care_group_id, start=start, end=end)

    def reference():
        with engine.connect() as conn:
            return reference_figures(conn, care_group_id, start, end, practice_ids)

    rss = child_peak_rss_mb(url, care_group_id, start, end)
    limit = 2000 if engine.dialect.name == "sqlite" else 1000
    figures = report_figures(ours())
    same = figures == reference()
    return compare(
        f"contracting report, care group + every practice ({len(practice_ids)})",
        timed(ours, max(3, repeat // 4)),
        "hand-written SQL of the same indicators",
        timed(reference, max(3, repeat // 4)),
        target=f"<= {limit / 1000:g} s, <= 2x, peak RSS < {RSS_LIMIT_MB} MB",
        check=lambda m, _p, r: same and m <= limit and r <= 2 and rss < RSS_LIMIT_MB,
        note=f"{len(figures)} figures, "
        + ("equal to the reference" if same else "DIFFERENT from the reference")
        + f"; peak RSS {rss:.0f} MB (child process)",
    )


def main(argv: list[str]) -> None:
    """Child: build the report once (for its peak RSS)."""
    from sqlmodel import Session

    from zelfzorg.contracting.services import compute_report
    from zelfzorg.db import make_engine

    url, care_group_id, start, end = argv
    engine = make_engine(url)
    with Session(engine) as session:
        compute_report(
            session,
            care_group_id=int(care_group_id),
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
        )
    engine.dispose()
    print(f"peak_rss_kb {own_peak_rss_kb()}")


if __name__ == "__main__":
    main(sys.argv[1:])
