"""Instrument definitions: built-ins, loading, validation errors, serialisation, cut-offs."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from babel.messages.pofile import read_po

from zelfzorg.assessment import instruments, scoring
from zelfzorg.assessment.instruments import (
    InstrumentDefinitionError,
    InstrumentKind,
    ScoringMethod,
    TableKey,
    Text,
    builtin_instruments,
    checksum,
    definition_to_dict,
    instrument_from_dict,
    load_instrument,
    with_cutoffs,
)
from zelfzorg.errors import ValidationError

FIXTURES = Path(__file__).parent / "fixtures"
PO_FILE = Path(instruments.__file__).parent / "translations/en/LC_MESSAGES/messages.po"


def fixture_data(name: str) -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


# --- built-ins ---------------------------------------------------------------------------------


def test_builtins_are_activation_semcd6_and_sdm_experience() -> None:
    found = builtin_instruments()
    assert set(found) == {"activation", "semcd6", "sdm_experience", "who5", "hf_symptoms"}
    assert found["activation"].kind is InstrumentKind.ACTIVATION
    assert found["semcd6"].kind is InstrumentKind.SELF_EFFICACY
    assert found["sdm_experience"].kind is InstrumentKind.EXPERIENCE
    assert [len(found[c].items) for c in ("activation", "semcd6", "sdm_experience")] == [13, 6, 3]


def test_activation_has_four_point_agreement_plus_not_applicable() -> None:
    activation = builtin_instruments()["activation"]
    assert [o.value for o in activation.answer_options] == [1, 2, 3, 4, 0]
    assert [o.label.nl for o in activation.answer_options] == [
        "Helemaal oneens",
        "Oneens",
        "Eens",
        "Helemaal eens",
        "Niet van toepassing",
    ]
    assert [o.value for o in activation.answer_options if o.not_applicable] == [0]
    assert activation.scored_values == (1, 2, 3, 4)


def test_activation_scoring_and_levels_follow_the_design() -> None:
    activation = builtin_instruments()["activation"]
    rules = activation.scoring
    assert rules.method is ScoringMethod.MEAN_SCALED
    assert (rules.min_answered, rules.decimals, rules.all_same_extreme) == (10, 1, True)
    assert (rules.score_range.min, rules.score_range.max) == (0.0, 100.0)
    assert [(lv.number, lv.min, lv.max) for lv in activation.levels] == [
        (1, 0.0, 47.0),
        (2, 47.1, 55.1),
        (3, 55.2, 67.0),
        (4, 67.1, 100.0),
    ]
    assert [lv.review_interval_weeks for lv in activation.levels] == [6, 8, 13, 26]
    assert "not the licensed PAM-13" in activation.notes


def test_activation_level_texts_advise_small_steps_low_and_patient_lead_high() -> None:
    levels = builtin_instruments()["activation"].levels
    assert "coachend" in levels[0].professional_advice.nl
    assert "kleine, haalbare stappen" in levels[1].professional_advice.nl
    assert "regie" in levels[2].professional_advice.nl
    assert "regie" in levels[3].professional_advice.nl
    assert levels[3].review_interval_weeks > levels[0].review_interval_weeks


def test_semcd6_is_six_items_one_to_ten_mean_with_at_least_four_answered() -> None:
    semcd6 = builtin_instruments()["semcd6"]
    assert [o.value for o in semcd6.answer_options] == list(range(1, 11))
    assert not any(o.not_applicable for o in semcd6.answer_options)
    assert semcd6.scoring.method is ScoringMethod.MEAN
    assert (semcd6.scoring.min_answered, semcd6.scoring.decimals) == (4, 2)
    assert semcd6.levels == ()
    assert semcd6.items[0].text.en.startswith("How confident are you that you can keep the fatigue")


def test_sdm_experience_is_three_agreement_items_all_required() -> None:
    sdm = builtin_instruments()["sdm_experience"]
    assert [i.text.nl for i in sdm.items] == [
        "Mijn zorgverlener vroeg wat voor mij belangrijk is.",
        "We hebben samen besloten over mijn doelen.",
        "Ik weet wat ik de komende tijd ga doen.",
    ]
    assert [o.value for o in sdm.answer_options] == [1, 2, 3, 4, 5]
    assert (sdm.scoring.method, sdm.scoring.min_answered) == (ScoringMethod.MEAN, 3)


def test_localized_text_picks_english_for_en_locales_and_dutch_otherwise() -> None:
    text = Text(nl="Hallo", en="Hello")
    assert [text.get(lang) for lang in ("en", "en_GB", "EN", "nl", "de")] == [
        "Hello",
        "Hello",
        "Hello",
        "Hallo",
        "Hallo",
    ]


# --- loading and serialisation -----------------------------------------------------------------


def test_load_instrument_reads_a_path_a_path_string_and_yaml_text_alike() -> None:
    path = FIXTURES / "mini_v1.yaml"
    from_path = load_instrument(path)
    assert load_instrument(str(path)) == from_path
    assert load_instrument(path.read_text(encoding="utf-8"), source="upload") == from_path
    assert (from_path.code, from_path.version) == ("mini", "1")


@pytest.mark.parametrize(
    "definition",
    [
        *builtin_instruments().values(),
        *(load_instrument(FIXTURES / n) for n in ("mini_v2.yaml", "by_raw_sum.yaml")),
    ],
    ids=lambda d: f"{d.code}-{d.version}",
)
def test_definition_survives_a_json_round_trip_with_the_same_checksum(definition: Any) -> None:
    stored = json.loads(json.dumps(definition_to_dict(definition)))
    reloaded = instrument_from_dict(stored, source="database")
    assert reloaded == definition
    assert checksum(reloaded) == checksum(definition)


def test_conversion_table_keys_become_strings_so_json_keeps_them() -> None:
    table = definition_to_dict(load_instrument(FIXTURES / "mini_v2.yaml"))["scoring"][
        "conversion_table"
    ]
    assert table["keyed_by"] == "answered_and_raw_sum"
    assert sorted(table["scores"]) == ["2", "3"]
    assert table["scores"]["3"]["7"] == 47.1


def test_checksum_ignores_key_order_and_layout_but_not_content() -> None:
    data = fixture_data("mini_v1.yaml")
    original = checksum(instrument_from_dict(data))
    reordered = yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
    assert checksum(load_instrument(reordered, source="reordered")) == original
    data["items"][1]["text"]["en"] = "Question two, reworded."
    assert checksum(instrument_from_dict(data)) != original


def test_two_versions_of_one_instrument_have_different_checksums() -> None:
    first = load_instrument(FIXTURES / "mini_v1.yaml")
    second = load_instrument(FIXTURES / "mini_v2.yaml")
    assert first.code == second.code
    assert checksum(first) != checksum(second)


def test_conversion_table_is_looked_up_by_answered_count_and_raw_sum() -> None:
    table = load_instrument(FIXTURES / "mini_v2.yaml").scoring.conversion_table
    assert table is not None and table.keyed_by is TableKey.ANSWERED_AND_RAW_SUM
    assert (table.lookup(3, 7), table.lookup(2, 7), table.lookup(3, 13)) == (47.1, 80.0, None)


# --- invalid definitions -----------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], object]


def _table(d: dict[str, Any]) -> dict[Any, Any]:
    return d["scoring"]["conversion_table"]["scores"]


INVALID: list[tuple[str, str, Mutation, str, str]] = [
    # (id, fixture, mutation, field path named, words in the Dutch message)
    ("missing-text", "mini_v1.yaml", lambda d: d["items"][2]["text"].pop("en"),
     "items[2].text.en", "ontbreekt"),
    ("missing-section", "mini_v1.yaml", lambda d: d.pop("scoring"), "scoring", "ontbreekt"),
    ("version-as-number", "mini_v1.yaml", lambda d: d.update(version=1.0),
     "version", "verwacht text, gevonden number"),
    ("version-too-long", "mini_v1.yaml", lambda d: d.update(version="1." * 11),
     "version", "max 20"),
    ("title-not-mapping", "mini_v1.yaml", lambda d: d.update(title="Mini"),
     "title", "verwacht mapping, gevonden text"),
    ("yaml-no-is-boolean", "mini_v1.yaml",
     lambda d: d["answer_options"][0]["label"].update(en=False),
     "answer_options[0].label.en", "gevonden boolean"),
    ("empty-text", "mini_v1.yaml", lambda d: d["intro"].update(nl="  "), "intro.nl", "leeg"),
    ("duplicate-item-code", "mini_v1.yaml", lambda d: d["items"][1].update(code="q1"),
     "items[1].code", "q1 komt dubbel voor (al gebruikt in items[0].code)"),
    ("bad-item-code", "mini_v1.yaml", lambda d: d["items"][0].update(code="Vraag 1"),
     "items[0].code", "ongeldige waarde Vraag 1"),
    ("duplicate-option", "mini_v1.yaml", lambda d: d["answer_options"][1].update(value=1),
     "answer_options[1].value", "dubbel"),
    ("typo-field", "mini_v1.yaml",
     lambda d: d["answer_options"][4].update(not_aplicable=True),
     "answer_options[4].not_aplicable", "onbekend veld"),
    ("one-scored-option", "mini_v1.yaml",
     lambda d: d.update(answer_options=d["answer_options"][3:]),
     "answer_options", "minstens twee"),
    ("no-items", "mini_v1.yaml", lambda d: d.update(items=[]), "items", "leeg"),
    ("unknown-kind", "mini_v1.yaml", lambda d: d.update(kind="knowledge"),
     "kind", "onbekende waarde knowledge"),
    ("unknown-method", "mini_v1.yaml", lambda d: d["scoring"].update(method="median"),
     "scoring.method", "toegestaan: mean, sum, mean_scaled, conversion_table"),
    ("min-answered-above-items", "mini_v1.yaml", lambda d: d["scoring"].update(min_answered=4),
     "scoring.min_answered", "tussen 1 en 3"),
    ("too-many-decimals", "mini_v1.yaml", lambda d: d["scoring"].update(decimals=7),
     "scoring.decimals", "tussen 0 en 4"),
    ("range-reversed", "mini_v1.yaml",
     lambda d: d["scoring"].update(score_range={"min": 100.0, "max": 0.0}),
     "scoring.score_range", "min kleiner zijn dan max"),
    ("range-too-small-for-mean", "rounding.yaml",
     lambda d: d["scoring"].update(score_range={"min": 1.0, "max": 3.0}),
     "scoring.score_range", "mogelijke scores (1 tot 4)"),
    ("levels-overlap", "mini_v1.yaml", lambda d: d["levels"][1].update(min=47.0),
     "levels[1].min", "overlapt met het vorige niveau, dat loopt tot 47.0"),
    ("levels-gap", "mini_v1.yaml", lambda d: d["levels"][2].update(min=55.3),
     "levels[2].min", "zit een gat; verwacht 55.2"),
    ("cut-off-decimals", "mini_v1.yaml", lambda d: d["levels"][0].update(max=47.05),
     "levels[0].max", "meer dan 1 decimalen"),
    ("level-min-above-max", "mini_v1.yaml", lambda d: d["levels"][1].update(max=47.0),
     "levels[1]", "groter dan max"),
    ("first-level-not-at-range-min", "mini_v1.yaml", lambda d: d["levels"][0].update(min=1.0),
     "levels[0].min", "ondergrens van het scorebereik (0.0)"),
    ("last-level-not-at-range-max", "mini_v1.yaml", lambda d: d["levels"][3].update(max=99.9),
     "levels[3].max", "bovengrens van het scorebereik (100.0)"),
    ("level-numbering", "mini_v1.yaml", lambda d: d["levels"][1].update(number=3),
     "levels[1].number", "moet 2 zijn"),
    ("review-interval-zero", "mini_v1.yaml",
     lambda d: d["levels"][0].update(review_interval_weeks=0),
     "levels[0].review_interval_weeks", "tussen 1 en 520"),
    ("table-gap", "mini_v2.yaml", lambda d: _table(d)[3].pop(7),
     "scoring.conversion_table.scores[3][7]", "gat"),
    ("table-missing-answered-count", "mini_v2.yaml", lambda d: _table(d).pop(2),
     "scoring.conversion_table.scores[2]", "2 beantwoorde vragen"),
    ("table-impossible-answered-count", "mini_v2.yaml", lambda d: _table(d).update({1: {1: 0}}),
     "scoring.conversion_table.scores[1]", "2 tot 3 vragen"),
    ("table-impossible-raw", "mini_v2.yaml", lambda d: _table(d)[2].update({9: 100.0}),
     "scoring.conversion_table.scores[2][9]", "tussen 2 en 8"),
    ("table-score-outside-range", "mini_v2.yaml", lambda d: _table(d)[3].update({12: 101.0}),
     "scoring.conversion_table.scores[3][12]", "buiten het scorebereik"),
    ("table-unknown-key-kind", "mini_v2.yaml",
     lambda d: d["scoring"]["conversion_table"].update(keyed_by="answered"),
     "scoring.conversion_table.keyed_by", "raw_sum, answered_and_raw_sum"),
    ("table-without-table-method", "mini_v1.yaml",
     lambda d: d["scoring"].update(conversion_table={"keyed_by": "raw_sum", "scores": {}}),
     "scoring.conversion_table", "hoort alleen bij de scoremethode conversion_table"),
    ("table-method-without-table", "mini_v2.yaml",
     lambda d: d["scoring"].pop("conversion_table"),
     "scoring.conversion_table", "ontbreekt"),
    ("raw-sum-table-gap", "by_raw_sum.yaml", lambda d: _table(d).pop(4),
     "scoring.conversion_table.scores[4]", "gat"),
    ("notes-not-text", "mini_v1.yaml", lambda d: d.update(notes=["x"]),
     "notes", "verwacht text"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "mutate", "path", "words"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_invalid_definition_file_names_file_field_and_problem(
    tmp_path: Path, fixture: str, mutate: Mutation, path: str, words: str
) -> None:
    data = fixture_data(fixture)
    instrument_from_dict(data)  # the unmutated fixture is valid: the mutation is the problem
    mutate(data)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    with pytest.raises(InstrumentDefinitionError) as caught:
        load_instrument(broken)

    error = caught.value
    assert isinstance(error, ValidationError)
    assert (error.source, error.path, error.field) == ("broken.yaml", path, path)
    assert str(error).startswith("broken.yaml: ")
    assert path in str(error)
    assert words in str(error)


@pytest.mark.parametrize(
    ("name", "path", "words"),
    [
        ("invalid_overlapping_levels.yaml", "levels[1].min", "overlapt"),
        ("invalid_table_gap.yaml", "scoring.conversion_table.scores[3][7]", "ruwe score 7"),
    ],
)
def test_invalid_fixture_files_are_refused_with_file_and_field(
    name: str, path: str, words: str
) -> None:
    with pytest.raises(InstrumentDefinitionError) as caught:
        load_instrument(FIXTURES / name)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{name}: ")
    assert words in str(caught.value)


def test_yaml_syntax_error_names_source_and_line() -> None:
    text = "code: mini\nversion: '1'\ntitle: {nl: Mini\n"
    with pytest.raises(InstrumentDefinitionError) as caught:
        load_instrument(text, source="upload.yaml")
    assert caught.value.params["line"] == 4
    assert str(caught.value).startswith("upload.yaml: geen geldige YAML op regel 4")


def test_duplicate_yaml_key_is_refused_instead_of_silently_overwritten() -> None:
    text = (FIXTURES / "mini_v1.yaml").read_text(encoding="utf-8")
    text = text.replace('version: "1"\n', 'version: "1"\nversion: "2"\n')
    with pytest.raises(InstrumentDefinitionError) as caught:
        load_instrument(text, source="double.yaml")
    assert "duplicate key 'version'" in str(caught.value)


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InstrumentDefinitionError) as caught:
        load_instrument("- code: mini\n", source="list.yaml")
    assert str(caught.value).startswith("list.yaml: dit is geen instrumentdefinitie")


def test_a_missing_file_is_reported_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(InstrumentDefinitionError) as caught:
        load_instrument(tmp_path / "absent.yaml")
    assert str(caught.value).startswith("absent.yaml: het bestand kan niet worden gelezen")


# --- care-group cut-offs -----------------------------------------------------------------------


def test_with_cutoffs_returns_a_changed_copy_and_leaves_the_original() -> None:
    activation = builtin_instruments()["activation"]
    custom = with_cutoffs(activation, {3: (55.2, 72.4), 4: (72.5, 100.0)}, version="1.0+zg")
    assert [(lv.min, lv.max) for lv in custom.levels] == [
        (0.0, 47.0),
        (47.1, 55.1),
        (55.2, 72.4),
        (72.5, 100.0),
    ]
    assert custom.levels[3].name == activation.levels[3].name
    assert custom.version == "1.0+zg"
    assert activation.levels[2].max == 67.0
    assert checksum(custom) != checksum(activation)


def test_with_cutoffs_validates_like_a_definition_file() -> None:
    activation = builtin_instruments()["activation"]
    with pytest.raises(InstrumentDefinitionError) as caught:
        with_cutoffs(activation, {3: (55.2, 72.4)})  # level 4 still starts at 67.1
    assert caught.value.path == "levels[3].min"
    assert str(caught.value).startswith("activation 1.0: ")
    assert "overlapt" in str(caught.value)


def test_with_cutoffs_refuses_an_unknown_level() -> None:
    with pytest.raises(InstrumentDefinitionError) as caught:
        with_cutoffs(builtin_instruments()["activation"], {5: (90.0, 100.0)})
    assert caught.value.params["level"] == 5


# --- translations ------------------------------------------------------------------------------


def _marked_messages() -> list[str]:
    found = []
    for module in (instruments, scoring):
        tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_":
                found.append(node.args[0].value)
    return found


def test_every_marked_message_has_an_english_translation_with_the_same_placeholders() -> None:
    with PO_FILE.open("rb") as fh:
        catalog = read_po(fh)
    messages = _marked_messages()
    assert len(messages) > 20
    for message in messages:
        entry = catalog.get(message)
        assert entry is not None and entry.string, message
        placeholders = re.compile(r"%\((\w+)\)s")
        assert set(placeholders.findall(entry.string)) == set(placeholders.findall(message))
