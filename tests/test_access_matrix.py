"""Every registered route, for every persona: allowed or denied, never a leak.

A route without a rule in some ``tests/<domain>/access_rules.py`` fails this test.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlmodel import func, select
from werkzeug.routing import IntegerConverter

import tests
from tests.access import Rule
from tests.factories import PERSONAS
from zelfzorg.audit.models import AuditEntry, AuditOutcome


def all_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for module in pkgutil.iter_modules(tests.__path__):
        if module.ispkg:
            try:
                mod = importlib.import_module(f"tests.{module.name}.access_rules")
            except ModuleNotFoundError as error:
                if error.name != f"tests.{module.name}.access_rules":
                    raise
                continue
            duplicate = set(rules) & set(mod.RULES)
            assert not duplicate, f"endpoints listed twice: {duplicate}"
            rules.update(mod.RULES)
    return rules


RULES = all_rules()


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def test_every_route_has_an_access_rule(app):
    missing = sorted({r.endpoint for r in routes(app)} - set(RULES))
    assert not missing, f"routes without an entry in an access_rules.py: {missing}"
    stale = sorted(set(RULES) - {r.endpoint for r in routes(app)})
    assert not stale, f"access rules for routes that no longer exist: {stale}"


def _denied(persona: str, response) -> bool:
    # 401: token-authenticated APIs refuse a request without a valid token.
    if response.status_code in (401, 403, 404):
        return True
    if persona == "anonymous" and response.status_code == 302:
        return "/login" in response.headers.get("Location", "")
    return False


def _succeeded(persona: str, response) -> bool:
    """A valid request by an allowed persona: 2xx or a redirect (not to the login page)."""
    return 200 <= response.status_code < 400 and not _denied(persona, response)


def _send(client, method: str, url: str, data: dict):
    if method == "GET":
        return client.get(url, query_string=data)
    return client.open(url, method=method, data=data)


def _url(app, endpoint: str, params: dict) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **params)


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_route_access_per_persona(app, db, world, login, no_csrf, endpoint):
    rule = RULES[endpoint]
    url_rules = [r for r in routes(app) if r.endpoint == endpoint]
    assert url_rules, f"{endpoint} is not a registered route"
    shared = rule.params(world, db)
    db.commit()
    for url_rule in url_rules:
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                params = shared
                if persona in rule.allowed and method != "GET":
                    params = rule.params(world, db)  # a fresh object for each change
                data = rule.data_for(world, db, params)
                db.commit()
                url = _url(app, endpoint, params)
                user = world.user_for(persona)
                client = login(user) if user else app.test_client()
                response = _send(client, method, url, data)
                where = f"{method} {url} as {persona}: {response.status_code}"
                assert response.status_code < 500, where
                if persona in rule.allowed:
                    assert _succeeded(persona, response), f"should succeed: {where}"
                else:
                    assert _denied(persona, response), f"allowed but should be denied: {where}"


def _id_args(url_rule) -> list[str]:
    return [
        name for name, conv in url_rule._converters.items() if isinstance(conv, IntegerConverter)
    ]


def two_id_endpoints(app) -> list[str]:
    return sorted(
        {r.endpoint for r in routes(app) if "patient_id" in _id_args(r) and len(_id_args(r)) >= 2}
    )


def test_two_id_routes_are_known(app):
    # The mismatch test below covers exactly these; a new one is covered automatically.
    assert two_id_endpoints(app) == [
        "leefstijl.complete",
        "leefstijl.transition",
        "patients.end_enrolment",
        "telemonitoring.revoke_token",
    ]


def test_a_child_of_another_patient_is_not_found_and_audited_against_its_patient(
    app, db, world, login, no_csrf
):
    """A valid request with the patient id swapped for another patient of the same practice
    (whom the professional may reach): 404, and the audit log names the child's real patient
    as denied, never the patient in the URL as allowed."""
    client = login(world.poh)
    for endpoint in two_id_endpoints(app):
        rule = RULES[endpoint]
        assert "professional" in rule.allowed, endpoint
        for url_rule in [r for r in routes(app) if r.endpoint == endpoint]:
            child_arg = next(a for a in _id_args(url_rule) if a != "patient_id")
            for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
                params = rule.params(world, db)
                data = rule.data_for(world, db, params)
                db.commit()
                mismatched = {**params, "patient_id": world.other_patient.id}
                url = _url(app, endpoint, mismatched)
                last = db.exec(select(func.max(AuditEntry.id))).one() or 0
                db.commit()  # end the read transaction before the request writes
                response = _send(client, method, url, data)
                where = f"{method} {url}: {response.status_code}"
                assert response.status_code == 404, where
                db.expire_all()
                entries = db.exec(select(AuditEntry).where(AuditEntry.id > last)).all()
                child = str(params[child_arg])
                assert any(
                    e.outcome == AuditOutcome.denied
                    and e.patient_id == world.patient.id
                    and e.object_id == child
                    for e in entries
                ), f"no denial against the child's patient: {where}: {entries}"
                assert not any(
                    e.outcome == AuditOutcome.allowed and e.object_id == child for e in entries
                ), f"the child was audited as allowed: {where}"


MISSING_ID = 987_654_321


@pytest.mark.parametrize(
    ("owner", "outsider"), [("professional", "professional_other"), ("patient", "patient_other")]
)
def test_out_of_scope_ids_answer_as_missing_ones(app, db, world, login, no_csrf, owner, outsider):
    """An id out of the caller's scope and an id that does not exist get the same status, on
    every route with an id that the owner may use and the outsider (same role) may not:
    status codes must not tell whether another practice's or patient's record exists."""
    client = login(world.user_for(outsider))
    checked = 0
    for endpoint, rule in sorted(RULES.items()):
        if owner not in rule.allowed or outsider in rule.allowed:
            continue
        for url_rule in [r for r in routes(app) if r.endpoint == endpoint]:
            ids = _id_args(url_rule)
            if not ids:
                continue
            params = rule.params(world, db)
            data = rule.data_for(world, db, params)
            db.commit()
            for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
                real = _send(client, method, _url(app, endpoint, params), data)
                missing_url = _url(app, endpoint, {**params, **dict.fromkeys(ids, MISSING_ID)})
                missing = _send(client, method, missing_url, data)
                where = f"{method} {missing_url} as {outsider}"
                assert real.status_code == missing.status_code == 404, (
                    f"{where}: out of scope {real.status_code}, missing {missing.status_code}"
                )
                checked += 1
    assert checked > 10, checked
