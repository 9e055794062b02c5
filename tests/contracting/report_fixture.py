"""A realistic contracting report built by hand, so export tests need no indicator engine.

30 practices (three of them small, under 10 patients), patients simulated one by one with sex,
age band, programmes and per indicator whether they count, then summed: every total equals
the sum of its practices and of its strata, as the engine's figures do.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

from zelfzorg.contracting.report_data import (
    ContractInfo,
    Figure,
    IndicatorInfo,
    IndicatorKind,
    IndicatorText,
    PracticeInfo,
    ReportData,
    Stratum,
    Verdict,
    VerdictStatus,
)

PROGRAMMES = ("DM2", "COPD", "astma", "CVRM", "hartfalen")
AGE_BANDS = ("<65", "65-79", ">=80")
SEXES = ("female", "male")

NAMES = [
    "De Linde",
    "Waalkade",
    "Het Kompas",
    "De Eik",
    "Oosterpoort",
    "Gezondheidscentrum Zuid",
    "De Brug",
    "Het Anker",
    "Maasoever",
    "De Wieken",
    "Dorpsstraat",
    "Het Baken",
    "De Molen",
    "Stadspoort",
    "De Hoven",
    "Rivierzicht",
    "De Akker",
    "Het Plein",
    "Kerkewijk",
    "De Horst",
    "Noorderlicht",
    "De Vaart",
    "Het Veld",
    "Beukenlaan",
    "De Schakel",
    "Parkzicht",
    "De Ruyter",
    "Het Hof",
    "Dijkzicht",
    "Huisartsen Oost",
]


def _info(
    id_: str,
    clause: str,
    kind: IndicatorKind,
    title: str,
    numerator: str = "",
    denominator: str = "",
    statement: bool = False,
) -> IndicatorInfo:
    return IndicatorInfo(
        id=id_,
        clause=clause,
        kind=kind,
        version=2015,
        title=IndicatorText(title, f"{title} (en)"),
        numerator=IndicatorText(numerator, f"{numerator} (en)"),
        denominator=IndicatorText(denominator, f"{denominator} (en)"),
        statement=statement,
    )


R, D, INF = IndicatorKind.requirement, IndicatorKind.desired, IndicatorKind.informational
INDICATORS = [
    _info("V1", "2.1", R, "Visie op zelfmanagement", "Vastgesteld beleid", statement=True),
    _info("V2", "2.1", R, "Ontwikkelplan", "Actie in de periode", statement=True),
    _info("I1", "2.2", R, "Afgesproken doel", "Met afgesproken doel", "Populatie"),
    _info("I1b", "2.2", INF, "Levend plan", "Besproken in 12 maanden", "Teller I1"),
    _info("I2", "2.2", R, "Eén plan bij multimorbiditeit", "Alle aandoeningen", "Multimorbide"),
    _info("I3", "2.2", R, "Doel geëvalueerd", "Met evaluatie", "Populatie"),
    _info("I4", "2.2", INF, "Gedeelde besluitvorming", "Gemiddelde score", "Respondenten"),
    _info("L1", "2.3", R, "Volgens de zorgstandaard", "Conforme paren", "Aangeboden paren"),
    _info("L2", "2.3", D, "Leefstijl aangeboden", "Aangeboden", "Komt in aanmerking"),
    _info("L3", "2.3", D, "Online leefstijl", "Online aangeboden", "Teller L2"),
    _info("P0", "2.4", IndicatorKind.advice, "Platform op ZO!-lijst", "Verklaring", statement=True),
    _info("P1", "2.4", INF, "Account geactiveerd", "Met account", "Populatie"),
    _info("P2", "2.4", INF, "Actief op platform", "Actief in 90 dagen", "Populatie"),
    _info("A1", "-", INF, "Activatie gemeten", "Gemeten in 365 dagen", "Populatie"),
    _info("A2", "-", INF, "Activatieniveau", "Per niveau", "Teller A1"),
    _info("O1", "(000)", INF, "HbA1c gemeten", "Met HbA1c", "DM2-populatie"),
    _info("O1b", "(000)", INF, "HbA1c op streefwaarde", "HbA1c <= 53", "Teller O1"),
    _info("O2", "(000)", INF, "Bloeddruk gemeten", "Met bloeddruk", "DM2 + CVRM"),
    _info("O2b", "(000)", INF, "Bloeddruk op streefwaarde", "Systolisch < 140", "Teller O2"),
    _info("O3", "(000)", INF, "BMI gemeten", "Met BMI", "Populatie"),
    _info("O3b", "(000)", INF, "BMI onder 25", "BMI < 25", "Teller O3"),
    _info("O4", "(000)", INF, "Rookstatus bekend", "Bekend", "COPD + astma"),
]

# indicator -> (denominator rule, probability of the numerator); "parent" = the parent's numerator
RATES = {
    "I1": ("all", 0.62),
    "I1b": ("I1", 0.8),
    "I2": ("multi", 0.55),
    "I3": ("all", 0.45),
    "L2": ("all", 0.3),
    "L3": ("L2", 0.4),
    "P1": ("all", 0.5),
    "P2": ("all", 0.35),
    "A1": ("all", 0.4),
    "O1": ("DM2", 0.9),
    "O1b": ("O1", 0.6),
    "O2": ("DM2+CVRM", 0.85),
    "O2b": ("O2", 0.65),
    "O3": ("all", 0.7),
    "O3b": ("O3", 0.3),
    "I4": ("all", 0.25),
    "O4": ("COPD+astma", 0.75),
}


def _sizes(rng: random.Random, n: int) -> list[int]:
    sizes = [rng.randint(60, 420) for _ in range(n)]
    for index, small in ((4, 7), (17, 4), (25, 9)):  # small practices
        if index < n:
            sizes[index] = small
    return sizes


def build_report(
    n_practices: int = 30,
    *,
    seed: int = 11,
    names: list[str] | None = None,
    period: tuple[date, date] = (date(2025, 1, 1), date(2025, 12, 31)),
) -> ReportData:
    rng = random.Random(seed)
    names = names or NAMES
    practices = [
        PracticeInfo(id=100 + i, name=f"Huisartsenpraktijk {names[i % len(names)]}")
        for i in range(n_practices)
    ]
    # (indicator, practice_id, stratum) -> [numerator, denominator]
    counts: dict[tuple, list[int]] = {}
    levels: Counter = Counter()

    def add(indicator: str, practice_id: int, strata: list[Stratum], num: bool) -> None:
        for pid in (practice_id, None):
            for stratum in (None, *strata):
                cell = counts.setdefault((indicator, pid, stratum), [0, 0])
                cell[0] += num
                cell[1] += 1

    for practice, size in zip(practices, _sizes(rng, n_practices), strict=True):
        for _ in range(size):
            programmes = {rng.choice(PROGRAMMES)}
            if rng.random() < 0.3:
                programmes.add(rng.choice(PROGRAMMES))
            strata = [
                Stratum("sex", rng.choice(SEXES)),
                Stratum("age_band", rng.choice(AGE_BANDS)),
                *(Stratum("programme", p) for p in sorted(programmes)),
            ]
            counted: dict[str, bool] = {}
            for indicator, (rule, rate) in RATES.items():
                if rule == "all":
                    included = True
                elif rule == "multi":
                    included = len(programmes) >= 2
                elif rule in RATES:
                    included = counted.get(rule, False)
                else:
                    included = bool(programmes & set(rule.split("+")))
                if not included:
                    continue
                counted[indicator] = rng.random() < rate
                add(indicator, practice.id, strata, counted[indicator])
            if counted.get("A1"):
                level = str(rng.randint(1, 4))
                add("A2", practice.id, [Stratum("level", level)], True)
                levels[level] += 1
    figures = [
        Figure(ind, pid, stratum, numerator=num, denominator=den)
        for (ind, pid, stratum), (num, den) in counts.items()
        if not (ind == "A2" and stratum is not None and stratum.key != "level")
    ]
    # I4 scores a mean experience (1-5) over its respondents (its numerator).
    for index, fig in enumerate(figures):
        if fig.indicator == "I4":
            mean = 3.2 + (fig.practice_id or 0) % 7 / 5 if fig.numerator else None
            figures[index] = Figure(
                "I4", fig.practice_id, fig.stratum, None, fig.numerator, None, mean
            )
    figures.append(Figure("L1", None, None, numerator=11, denominator=12))
    # A2's levels are a distribution of A1's numerator: level cells count over A2's total.
    for index, fig in enumerate(figures):
        if fig.indicator == "A2" and fig.stratum is not None:
            total = counts[("A2", fig.practice_id, None)][1]
            figures[index] = Figure("A2", fig.practice_id, fig.stratum, fig.numerator, total)
    for ind, yes in (("V1", True), ("V2", True), ("P0", False)):
        figures.append(Figure(ind, None, None, statement=yes))
    figures.sort(key=lambda f: (f.indicator, f.practice_id or 0, str(f.stratum)))

    def verdict(ind: str, target: int) -> Verdict:
        fig = next(
            f for f in figures if (f.indicator, f.practice_id, f.stratum) == (ind, None, None)
        )
        pct = fig.percentage
        met = pct is not None and pct >= target
        return Verdict(
            ind,
            VerdictStatus.met if met else VerdictStatus.not_met,
            "%(id)s %(value)s%% >= doel %(target)s%%"
            if met
            else "%(id)s %(value)s%% < doel %(target)s%%",
            {"id": ind, "value": str(pct), "target": target},
            Decimal(target),
        )

    verdicts = [
        Verdict("V1", VerdictStatus.met, "Beleid vastgesteld op %(date)s", {"date": "2025-03-01"}),
        Verdict("V2", VerdictStatus.met, "%(n)s acties in de periode", {"n": 4}),
        verdict("I1", 60),
        verdict("I2", 60),
        verdict("I3", 50),
        Verdict("L2", VerdictStatus.informational, "Gewenst, geen eis"),
        Verdict("P0", VerdictStatus.not_applicable, "Geen verklaring vastgelegd"),
    ]
    return ReportData(
        care_group_id=7,
        care_group_name="Zorggroep Rivierenland",
        period_start=period[0],
        period_end=period[1],
        definition_version=2015,
        contract=ContractInfo(insurer="Zilveren Kruis", year=2015),
        practices=practices,
        indicators=INDICATORS,
        figures=figures,
        verdicts=verdicts,
        generated_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        fingerprint="sha256:" + "ab12" * 16,
    )
