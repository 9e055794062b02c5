"""Every registered route, for every persona: allowed or denied, never a leak.

A route without a rule in some ``tests/<domain>/access_rules.py`` fails this test.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests
from tests.access import Rule
from tests.factories import PERSONAS


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


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_route_access_per_persona(app, db, world, login, no_csrf, endpoint):
    rule = RULES[endpoint]
    url_rules = [r for r in routes(app) if r.endpoint == endpoint]
    assert url_rules, f"{endpoint} is not a registered route"
    params = rule.params(world, db)
    db.commit()
    for url_rule in url_rules:
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **params)
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                user = world.user_for(persona)
                client = login(user) if user else app.test_client()
                if method == "GET":
                    response = client.get(url, query_string=rule.data)
                else:
                    response = client.open(url, method=method, data=rule.data)
                where = f"{method} {url} as {persona}: {response.status_code}"
                assert response.status_code < 500, where
                if persona in rule.allowed:
                    assert not _denied(persona, response), f"denied but should be allowed: {where}"
                else:
                    assert _denied(persona, response), f"allowed but should be denied: {where}"
