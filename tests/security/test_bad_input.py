"""The bad-input corpus (``bad_inputs.json``, >= 300 cases) against every form, URL id and
device-API field of its kind, through the HTTP client on the suite's database.

Every case must be refused: a 4xx status, with a message for the user when the status says
the input was wrong (400, 409, 422), and no table changed. Forms are found by crawling every
page each persona may open (``crawl.py``), so a new form is covered without listing it here.

Which tables are compared: all of them, row by row, except ``audit_entry`` (a refused
request may add a "denied" entry, which is the point of the log) and ``throttle_hit``
(failed attempts are counted by design). To stay fast, each field gets a slice of its kind's
cases rather than all of them; together the slices cover every case at least once.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from tests.security.crawl import crawl
from tests.test_access_matrix import RULES
from zelfzorg.telemonitoring import services as tm_services

CORPUS = json.loads((Path(__file__).parent / "bad_inputs.json").read_text(encoding="utf-8"))
KINDS = ("id", "number", "json_number", "date", "datetime", "text")
NOT_COMPARED = {"audit_entry", "alembic_version", "throttle_hit"}
MARKERS = ('role="alert"', 'class="error"', "has-error", "flash-error", 'aria-invalid="true"')
PER_FIELD = 4


def cases(kind: str) -> list[object]:
    return [c["value"] for c in CORPUS[kind]]


def test_the_corpus_is_large_enough():
    assert sum(len(CORPUS[k]) for k in KINDS) >= 300
    assert all(CORPUS[k] for k in KINDS)


def snapshot(engine) -> dict[str, list[tuple]]:
    names = sorted(set(inspect(engine).get_table_names()) - NOT_COMPARED)
    with Session(engine) as session:
        return {
            name: sorted(
                (tuple(map(repr, row)) for row in session.execute(text(f"SELECT * FROM {name}"))),
            )
            for name in names
        }


def changed_tables(before, after) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def problem(response) -> str | None:
    """Why a response is not a proper refusal, or None when it is one."""
    code = response.status_code
    if code >= 500:
        return f"server error {code}"
    if not 400 <= code < 500:
        return f"accepted ({code})"
    if code in (401, 403, 404, 405, 413):
        return None
    if response.is_json:
        return None if (response.get_json() or {}).get("error") else "JSON without error"
    body = response.get_data(as_text=True)
    return None if any(m in body for m in MARKERS) else f"{code} without a message"


def spread(targets: list, values: list, per_target: int = PER_FIELD):
    """Each target gets ``per_target`` values (more when needed so all values are used),
    rotating so that together they cover every value."""
    if not targets:
        return
    per = max(per_target, -(-len(values) // len(targets)))
    for i, target in enumerate(targets):
        yield target, [values[(i * per + j) % len(values)] for j in range(min(per, len(values)))]


def _run_forms(app, db, world, login, engine, kinds: tuple[str, ...], values: list) -> list[str]:
    forms, clients = crawl(app, world, db, login)
    targets = [(form, f) for form in forms for f in form.fields if f.kind in kinds]
    assert targets, f"no form fields of kind {kinds}"
    failures = []
    before = snapshot(engine)
    planned = list(spread(targets, values))
    for i, ((form, fld), chunk) in enumerate(planned):
        client = clients[form.persona]
        for value in chunk:
            data = form.data(fld.name, value)
            if form.method == "GET":
                response = client.get(form.action, query_string=MultiDict(data))
            else:
                response = client.post(form.action, data=MultiDict(data))
            why = problem(response)
            if why:
                failures.append(f"{form.method} {form.action} {fld.name}={value!r}: {why}")
        if i + 1 < len(planned) and planned[i + 1][0][0] is form:
            continue  # compare the tables once per form, after all its fields
        after = snapshot(engine)
        for name in changed_tables(before, after):
            failures.append(f"{form.method} {form.action}: table {name} changed")
        before = after
    return failures


@pytest.mark.usefixtures("no_csrf")
@pytest.mark.parametrize(
    "kind,field_kinds",
    [("text", ("text", "choice")), ("number", ("number",)), ("date", ("date",)), ("id", ("id",))],
)
def test_every_form_field_refuses_bad_input(app, db, world, login, engine, kind, field_kinds):
    failures = _run_forms(app, db, world, login, engine, field_kinds, cases(kind))
    assert not failures, "\n".join(failures[:40])


@pytest.mark.usefixtures("no_csrf")
def test_every_id_in_a_url_is_bounded(app, db, world, login, engine):
    failures = []
    values = [v for v in cases("id") if v]
    targets = []
    for rule in app.url_map.iter_rules():
        spec = RULES.get(rule.endpoint)
        if spec is None:
            continue
        persona = next((p for p in ("professional", "patient", "admin") if p in spec.allowed), None)
        for arg in sorted(rule.arguments):
            if f"<int:{arg}>" in rule.rule:
                targets.append((rule, persona, arg))
    assert len(targets) > 30
    before = snapshot(engine)
    # The converter refuses the value before any view runs, so the other arguments need
    # not name real objects.
    for (rule, persona, arg), chunk in spread(targets, values, 6):
        client = login(world.user_for(persona) if persona else world.poh)
        method = "GET" if "GET" in rule.methods else "POST"
        for value in chunk:
            path = rule.rule.replace(f"<int:{arg}>", quote(str(value), safe=""))
            for other in rule.arguments:
                path = path.replace(f"<int:{other}>", "1")
            path = path.replace("<code>", "activation").replace("<type_code>", "weight")
            response = client.open(path, method=method)
            if response.status_code != 404:
                failures.append(f"{method} {path}: {response.status_code}, expected 404")
    assert not changed_tables(before, snapshot(engine))
    assert not failures, "\n".join(failures[:40])


# --- the device API ------------------------------------------------------------------------------
READING = {
    "type_code": "weight",
    "value": 80,
    "unit": "kg",
    "measured_at": "2026-01-05T08:00:00+01:00",
    "source_id": "corpus-1",
}
API_FIELDS = {
    "json_number": ["value"],
    "number": ["value"],
    "datetime": ["measured_at"],
    "text": ["source_id", "unit", "type_code", "reading_id", "patient_id"],
    "id": ["patient_id"],
}


@pytest.mark.parametrize("kind", sorted(API_FIELDS))
def test_device_api_refuses_bad_input(client, db, world, engine, kind):
    token, _row = tm_services.create_device_token(
        db, world.actor(world.poh), world.patient.id, label="Meter"
    )
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    before = snapshot(engine)
    for name in API_FIELDS[kind]:
        for value in cases(kind):
            body = {"readings": [READING | {name: value}]}
            response = client.post("/api/metingen", json=body, headers=headers)
            why = problem(response)
            if why:
                failures.append(f"{name}={value!r}: {why}")
    if kind == "text":  # bad keys and a bad top level too
        for value in cases("text")[:20]:
            response = client.post(
                "/api/metingen", json={"readings": [READING | {value: 1}]}, headers=headers
            )
            if problem(response):
                failures.append(f"key {value!r}: {problem(response)}")
    assert not changed_tables(before, snapshot(engine))
    assert not failures, "\n".join(failures[:40])


def test_device_api_refuses_bad_bodies(client, db, world, engine):
    token, _row = tm_services.create_device_token(
        db, world.actor(world.poh), world.patient.id, label="Meter"
    )
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [
        "[" * 10_000 + "]" * 10_000,
        '{"readings": ' + "[" * 40 + "]" * 40 + "}",
        "null",
        "[]",
        '"readings"',
        "{",
        '{"readings": [1, 2]}',
        '{"readings": "x"}',
        '{"readings": [{}]}',
        '{"readings": [' + ",".join(["{}"] * 2000) + "]}",
        "\ufeff{}",
        '{"readings": NaN}',
    ]
    before = snapshot(engine)
    failures = []
    for body in bodies:
        response = client.post(
            "/api/metingen", data=body, content_type="application/json", headers=headers
        )
        if problem(response):
            failures.append(f"{body[:40]!r}: {problem(response)}")
    assert not changed_tables(before, snapshot(engine))
    assert not failures, "\n".join(failures)
