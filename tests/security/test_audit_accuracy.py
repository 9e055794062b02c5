"""Audit accuracy over every route and persona (NEN 7513): a refusal is logged as denied
(never as allowed), and an allowed request is never logged as denied; an allowed read of a
patient's record is logged as allowed.

The routes and personas come from the access matrix (``tests/<domain>/access_rules.py``), so
a new route is covered as soon as it has its rule.
"""

from __future__ import annotations

import pytest
from flask import url_for
from sqlmodel import Session, col, func, select

from tests.factories import PERSONAS
from tests.test_access_matrix import RULES, routes
from zelfzorg.audit.models import AuditEntry, AuditOutcome

# Pages that show no patient's data: an allowed visit writes no entry, which is fine.
NO_PATIENT_DATA = {
    "accounts.index",
    "accounts.login",
    "accounts.activate",
    "accounts.totp",
    "accounts.totp_enrol",
    "accounts.set_language",
    "accounts.logout",
    "static",
}


def last_id(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.coalesce(func.max(AuditEntry.id), 0))).one()


def entries_after(engine, after: int) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).where(col(AuditEntry.id) > after)).all())


@pytest.mark.parametrize("endpoint", sorted(RULES))
def test_refusals_are_audited_denied_and_allowed_requests_never_denied(
    app, db, engine, world, login, no_csrf, endpoint
):
    rule = RULES[endpoint]
    params = rule.params(world, db)
    db.commit()
    problems = []
    for url_rule in [r for r in routes(app) if r.endpoint == endpoint]:
        with app.test_request_context():
            url = url_for(endpoint, **params)
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            for persona in PERSONAS:
                user = world.user_for(persona)
                if user is None:
                    continue  # anonymous visitors are sent to the login page
                client = login(user)
                data = rule.data_for(world, db, params)
                db.commit()
                before = last_id(engine)
                if method == "GET":
                    response = client.get(url, query_string=data)
                else:
                    response = client.open(url, method=method, data=data)
                new = entries_after(engine, before)
                outcomes = {e.outcome for e in new}
                where = f"{method} {url} as {persona} ({response.status_code})"
                if persona in rule.allowed:
                    if AuditOutcome.denied in outcomes and response.status_code < 400:
                        problems.append(f"{where}: allowed but audited denied")
                    if (
                        method == "GET"
                        and response.status_code == 200
                        and "patient_id" in params
                        and endpoint not in NO_PATIENT_DATA
                        and AuditOutcome.allowed not in outcomes
                    ):
                        problems.append(f"{where}: a read of a patient's data is not audited")
                elif response.status_code in (403, 404):
                    if AuditOutcome.allowed in outcomes:
                        problems.append(f"{where}: refused but audited allowed")
                    if AuditOutcome.denied not in outcomes:
                        problems.append(f"{where}: refused but not audited denied")
    assert not problems, "\n".join(problems)
