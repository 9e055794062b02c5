"""The one label registry (zelfzorg/labels.py) has plain words, in Dutch and English, for every
code it is asked about: every model class name, every audit object type the code writes,
every role, discipline, audit action and outcome and questionnaire kind."""

from __future__ import annotations

import ast
from functools import cache

import pytest
from flask_babel import force_locale

from tests.plainwords.checks import class_names
from zelfzorg import labels
from zelfzorg.accounts import tokens
from zelfzorg.accounts.models import Discipline, Role
from zelfzorg.assessment.instruments import InstrumentKind
from zelfzorg.audit.models import AuditAction, AuditOutcome
from zelfzorg.config import ROOT
from zelfzorg.fhir.search import SPECS
from zelfzorg.i18n_catalogs import CORE, load


def written_object_types() -> set[str]:
    """Every string the code passes as ``object_type=`` or keeps in an ``OBJECT`` constant."""
    found = set()
    for path in (ROOT / "zelfzorg").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("object_type", "audit_type"):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    found.add(node.value.value)
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if "OBJECT" in names and isinstance(node.value.value, str):
                    found.add(node.value.value)
    return found


@cache
def english_msgids() -> frozenset[str]:
    return frozenset(
        m.id
        for directory in (CORE, *(ROOT / "zelfzorg").glob("*/translations"))
        for m in load(directory)
        if isinstance(m.id, str) and m.string
    )


def test_the_scan_finds_the_object_types_the_code_writes():
    found = written_object_types()
    assert {"CarePlanHistory", "PatientList", "AuditLog", "LifestyleReferral"} <= found
    assert len(found) > 30


@pytest.mark.parametrize(
    "code",
    sorted(class_names() | written_object_types() | set(SPECS) | {"AuditEvent"}),
)
def test_every_object_type_has_plain_words_in_both_languages(app, code):
    assert code in labels.OBJECT_TYPES, f"{code} has no label in zelfzorg/labels.py"
    assert labels.OBJECT_TYPES[code] in english_msgids(), f"{code}: no English"


def test_token_kinds_audit_under_labelled_types():
    kinds = [v for v in vars(tokens).values() if isinstance(v, tokens.TokenKind)]
    assert kinds
    for kind in kinds:
        assert kind.audit_type in labels.OBJECT_TYPES


@pytest.mark.parametrize(
    ("kind", "enum"),
    [
        ("role", Role),
        ("discipline", Discipline),
        ("audit_action", AuditAction),
        ("audit_outcome", AuditOutcome),
        ("instrument", InstrumentKind),
    ],
)
def test_every_code_of_an_enum_has_plain_words(kind, enum):
    for member in enum:
        words = labels.msgid(kind, member)
        assert words != member.value, f"{kind} {member.value} has no label"
        assert words in english_msgids(), f"{kind} {member.value}: no English"


def test_unknown_codes_read_as_plain_words_too(app):
    with app.test_request_context(), force_locale("nl"):
        assert labels.label("object_type", "patients.detail") == "een pagina"
        assert labels.label("object_type", "SomethingNew") == "overige gegevens"
        assert labels.label("role", Role.caregroup) == "Zorggroepmedewerker"
        assert labels.label("role", "") == ""  # a job without a role, not the catalog header
