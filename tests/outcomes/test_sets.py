"""Outcome sets and the WHO-5 as validated data."""

from __future__ import annotations

import pytest

from zelfzorg.assessment.instruments import InstrumentKind, builtin_instruments
from zelfzorg.assessment.scoring import score
from zelfzorg.outcomes.sets import OutcomeSetError, outcome_set_from_dict, outcome_sets
from zelfzorg.patients.models import Programme


def _valid() -> dict:
    return {
        "programme": "DM2",
        "title": {"nl": "Uitkomsten", "en": "Outcomes"},
        "outcomes": [
            {
                "code": "hba1c",
                "name": {"nl": "HbA1c", "en": "HbA1c"},
                "source": "measurement",
                "reads": "hba1c",
                "better": "lower",
            }
        ],
    }


def test_every_builtin_set_loads() -> None:
    sets = outcome_sets()
    assert set(sets) == {Programme.DM2, Programme.COPD, Programme.CVRM, Programme.hartfalen}
    dm2 = [o.code for o in sets[Programme.DM2].outcomes]
    assert dm2 == ["hba1c", "systolic_bp", "bmi", "activation", "well_being"]
    assert all(s.rule.minimum_group >= 20 for s in sets.values())
    assert all("who5" in s.proms for s in sets.values())


def test_defaults_of_the_comparison_rule() -> None:
    rule = outcome_set_from_dict(_valid()).rule
    assert (rule.same_sex, rule.age_band_years, rule.minimum_group) == (True, 10, 20)
    assert (rule.window_months, rule.as_band) == (12, 10)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d.update(programme="XYZ"), "programme"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d["outcomes"][0].update(better="up"), "outcomes[0].better"),
        (lambda d: d["outcomes"][0].update(reads="nonsense"), "outcomes[0].reads"),
        (lambda d: d["outcomes"][0].update(reads="smoking_status"), "outcomes[0].reads"),
        (
            lambda d: d["outcomes"][0].update(source="questionnaire", reads="pam13"),
            "outcomes[0].reads",
        ),
        (lambda d: d["outcomes"].append(dict(d["outcomes"][0])), "outcomes[1].code"),
        # The privacy floor: a smaller group is refused.
        (lambda d: d.update(comparison={"minimum_group": 19}), "comparison.minimum_group"),
        (lambda d: d.update(comparison={"same_sex": "yes"}), "comparison.same_sex"),
        (lambda d: d.update(proms=["unknown"]), "proms[0]"),
    ],
)
def test_invalid_sets_name_the_field(change, path) -> None:
    data = _valid()
    change(data)
    with pytest.raises(OutcomeSetError) as error:
        outcome_set_from_dict(data, source="dm2.yaml")
    assert error.value.path == path


def test_who5_scores_raw_times_four() -> None:
    who5 = builtin_instruments()["who5"]
    assert who5.kind is InstrumentKind.WELL_BEING
    result = score(who5, {"w1": 3, "w2": 4, "w3": 2, "w4": 5, "w5": 1})
    assert (result.raw, result.score) == (15, 60.0)
    assert score(who5, {f"w{n}": 5 for n in range(1, 6)}).score == 100.0
    assert score(who5, {f"w{n}": 0 for n in range(1, 6)}).score == 0.0
    # All five items are needed.
    assert not score(who5, {"w1": 3, "w2": 4, "w3": 2, "w4": 5}).scorable
