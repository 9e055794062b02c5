"""Measurement types loaded from the YAML data file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from zelfzorg.errors import NotFound
from zelfzorg.telemonitoring.types import (
    CatalogError,
    PlausibleRange,
    Text,
    format_number,
    get_panel,
    get_type,
    load_catalog,
    load_types,
    render_message,
    type_for_loinc,
)
from zelfzorg.texts import localize_params

DEFAULT_FILE = Path(__file__).parents[2] / "zelfzorg/telemonitoring/data/measurement_types.yaml"


@pytest.mark.parametrize(
    ("code", "loinc", "unit"),
    [
        ("bp_systolic", "8480-6", "mm[Hg]"),
        ("bp_diastolic", "8462-4", "mm[Hg]"),
        ("heart_rate", "8867-4", "/min"),
        ("weight", "29463-7", "kg"),
        ("height", "8302-2", "cm"),
        ("bmi", "39156-5", "kg/m2"),
        ("waist", "8280-0", "cm"),
        ("glucose", "15074-8", "mmol/L"),
        ("hba1c", "59261-8", "mmol/mol"),
        ("spo2", "59408-5", "%"),
        ("peak_flow", "19935-6", "L/min"),
        ("steps", "55423-8", "{steps}"),
    ],
)
def test_quantity_types_carry_their_loinc_and_ucum_unit(code: str, loinc: str, unit: str) -> None:
    mtype = get_type(code)
    assert (mtype.loinc, mtype.unit, mtype.kind) == (loinc, unit, "quantity")
    assert mtype.plausible is not None and mtype.plausible.min < mtype.plausible.max


def test_fasting_glucose_uses_the_molar_code_not_the_mg_dl_one() -> None:
    # 1558-6 is fasting glucose in mass units (mg/dL); values are stored in mmol/L.
    assert get_type("glucose_fasting").loinc == "14771-0"
    assert get_type("glucose_fasting").unit == "mmol/L"


def test_capillary_glucose_imports_into_glucose() -> None:
    assert type_for_loinc("14743-9") is get_type("glucose")
    assert type_for_loinc("8480-6") is get_type("bp_systolic")
    assert type_for_loinc("4548-4") is None  # HbA1c in % needs a conversion


def test_ccq_has_no_loinc_code() -> None:
    assert get_type("ccq").loinc is None
    assert get_type("ccq").plausible == PlausibleRange(min=0, max=6)


def test_smoking_status_is_coded_with_dutch_and_english_labels() -> None:
    smoking = get_type("smoking_status")
    assert smoking.kind == "coded" and smoking.loinc == "72166-2"
    assert [o.code for o in smoking.options] == ["current", "former", "never"]
    assert smoking.option("never").label == Text(nl="Nooit gerookt", en="Never smoked")
    assert smoking.unit is None and smoking.plausible is None and smoking.target is None
    assert smoking.format_value("former", "en") == "Former smoker"


def test_blood_pressure_is_entered_as_one_panel_of_two_types() -> None:
    panel = get_panel("bp")
    assert panel.loinc == "85354-9"
    assert panel.members == ("bp_systolic", "bp_diastolic")
    assert get_type("bp_systolic").entered_with == "bp"
    assert get_type("weight").entered_with is None


def test_bmi_is_derived_from_a_new_weight_and_the_latest_height() -> None:
    derived = get_type("bmi").derived
    assert derived is not None
    assert (derived.formula, derived.inputs, derived.trigger) == (
        "bmi",
        ("weight", "height"),
        "weight",
    )


def test_default_targets_follow_the_nhg() -> None:
    systolic, hba1c = get_type("bp_systolic").target, get_type("hba1c").target
    assert (systolic.comparator, systolic.low, systolic.high) == ("<", None, 140)
    assert systolic.source.nl == "NHG: < 140 mmHg"
    assert (hba1c.comparator, hba1c.high) == ("<=", 53)
    assert get_type("bp_diastolic").target.high == 90
    fasting = get_type("glucose_fasting").target
    assert (fasting.comparator, fasting.low, fasting.high) == ("between", 4.5, 8)
    assert get_type("weight").target is None


def test_urgent_thresholds_keep_their_comparators() -> None:
    urgent = get_type("bp_systolic").urgent
    assert (urgent.high.comparator, urgent.high.value) == (">=", 180)
    assert (urgent.low.comparator, urgent.low.value) == ("<", 90)
    assert get_type("spo2").urgent.high is None
    assert get_type("spo2").urgent.low.value == 90
    glucose = get_type("glucose").urgent
    assert (glucose.low.value, glucose.high.comparator, glucose.high.value) == (4.0, ">", 20)


def test_types_are_immutable() -> None:
    mtype = get_type("weight")
    with pytest.raises(dataclasses.FrozenInstanceError):
        mtype.decimals = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        load_types()["weight"] = mtype  # type: ignore[index]


def test_unknown_type_is_not_found_with_a_dutch_message() -> None:
    with pytest.raises(NotFound) as caught:
        get_type("cholesterol")
    assert caught.value.message == "Onbekend meettype: %(code)s."
    assert caught.value.params == {"code": "cholesterol"}
    assert caught.value.field == "type"


def test_values_are_formatted_with_a_decimal_comma_in_dutch() -> None:
    glucose = get_type("glucose")
    assert glucose.format_value(7, "nl") == "7,0 mmol/L"
    assert glucose.format_value(7, "en") == "7.0 mmol/L"
    assert get_type("heart_rate").format_value(61.6, "en") == "62 beats/min"
    assert get_type("heart_rate").format_value(61.6, "nl") == "62 slagen/min"
    assert format_number(-0.04, 1, "nl") == "0,0"


def test_text_params_are_rendered_in_the_reader_language() -> None:
    params = {"value": Text(nl="7,0", en="7.0"), "count": 3}
    assert localize_params(params, "en_GB") == {"value": "7.0", "count": 3}
    assert render_message("%(count)s x %(value)s", params, "nl") == "3 x 7,0"
    assert render_message("%(value)s", params, "en", translate=lambda m: f"[{m}]") == "[7.0]"
    assert str(Text(nl="ja", en="yes")) == "ja"


# --- a care group's own file is validated as a whole -----------------------------------------


def _document() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))


def _type(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(t for t in doc["types"] if t["code"] == code)


def _write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "types.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_a_valid_copy_of_the_file_loads_from_another_path(tmp_path: Path) -> None:
    doc = _document()
    _type(doc, "hba1c")["target"]["value"] = 58
    types = load_types(_write(tmp_path, doc))
    assert types["hba1c"].target.high == 58
    assert get_type("hba1c").target.high == 53  # the default file is untouched


def _set(path: list[Any], value: Any) -> Any:
    def mutate(doc: dict[str, Any]) -> None:
        node: Any = doc
        for key in path[:-1]:
            node = _type(node, key) if isinstance(key, str) and key in _CODES else node[key]
        node[path[-1]] = value

    return mutate


_CODES = {"bp_systolic", "weight", "smoking_status", "hba1c", "glucose"}


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (_set(["bp_systolic", "plausibel"], {"min": 1, "max": 2}), "unknown key"),
        (_set(["weight", "plausible"], {"min": 350, "max": 20}), "must be below max"),
        (_set(["bp_systolic", "urgent"], {"high": {"comparator": ">=", "value": 400}}), "outside"),
        (_set(["bp_systolic", "urgent"], {"high": {"comparator": "<", "value": 180}}), "one of"),
        (_set(["bp_systolic", "target", "comparator"], "=="), "comparator"),
        (_set(["smoking_status", "unit"], "kg"), "only applies to quantity"),
        (_set(["hba1c", "unit_confusion", "kind"], "stones"), "kind"),
        (_set(["weight", "decimals"], True), "decimals"),
        (_set(["weight", "loinc"], "8480-6"), "8480-6"),
        (_set(["glucose", "target"], {"comparator": "between", "value": 5, "source": "x"}), "low"),
        (_set(["version"], 2), "version"),
    ],
)
def test_an_invalid_file_is_refused_with_the_place_of_the_mistake(
    tmp_path: Path, mutate: Any, error: str
) -> None:
    doc = _document()
    mutate(doc)
    with pytest.raises(CatalogError, match=error):
        load_catalog(_write(tmp_path, doc))


def test_a_duplicate_type_code_is_refused(tmp_path: Path) -> None:
    doc = _document()
    doc["types"].append(dict(_type(doc, "weight"), loinc=None))
    with pytest.raises(CatalogError, match="duplicate code 'weight'"):
        load_catalog(_write(tmp_path, doc))


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("types: [\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="not valid YAML"):
        load_catalog(path)
