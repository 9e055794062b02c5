"""API tokens: made on the signed-in user's own page or by the CLI, shown once, hashed at
rest, listed with last use, revocable by their owner only; CSRF still guards the page."""

from __future__ import annotations

import re

from sqlmodel import select

from tests.fhir.helpers import auth
from zelfzorg.accounts.models import ApiToken
from zelfzorg.accounts.tokens import hash_token


def test_a_patient_makes_a_token_on_their_page_and_revokes_it(app, db, world, login, no_csrf):
    client = login(world.patient_user)
    stranger = login(world.other_patient_user)
    page = client.get("/api-tokens")
    assert page.status_code == 200
    assert "user/*.write" not in page.get_data(as_text=True)  # not offered to patients
    made = client.post(
        "/api-tokens",
        data={"label": "Mijn PGO", "scopes": ["patient/*.read"], "days": "30"},
        follow_redirects=True,
    )
    html = made.get_data(as_text=True)
    token = re.search(r"zzf_[A-Za-z0-9_-]+", html).group(0)
    row = db.exec(select(ApiToken)).one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert row.scopes == "patient/*.read" and row.last_used_at is None
    db.commit()
    # shown once only
    assert token not in client.get("/api-tokens").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/fhir/Patient", headers=auth(token)).status_code == 200
    db.expire_all()
    assert db.get(ApiToken, row.id).last_used_at is not None
    token_id = row.id
    db.commit()  # end the read transaction before the requests write
    # someone else cannot revoke it
    assert stranger.post(f"/api-tokens/{token_id}/intrekken").status_code == 404
    assert api.get("/fhir/Patient", headers=auth(token)).status_code == 200
    client.post(f"/api-tokens/{token_id}/intrekken")
    assert api.get("/fhir/Patient", headers=auth(token)).status_code == 401
    assert "ingetrokken" in client.get("/api-tokens").get_data(as_text=True)


def test_a_bad_token_request_says_why_and_stores_nothing(db, world, login, no_csrf):
    client = login(world.patient_user)
    response = client.post(
        "/api-tokens", data={"label": "X", "scopes": ["user/*.write"], "days": "30"}
    )
    assert response.status_code == 400
    db.commit()
    response = client.post("/api-tokens", data={"label": "X", "days": "30"})
    assert response.status_code == 400
    assert "Kies minstens één bevoegdheid." in response.get_data(as_text=True)
    assert db.exec(select(ApiToken)).all() == []


def test_the_token_page_keeps_csrf_but_the_api_needs_none(app, db, world, login):
    client = login(world.patient_user)
    response = client.post(
        "/api-tokens", data={"label": "X", "scopes": ["patient/*.read"], "days": "30"}
    )
    assert response.status_code == 400  # no CSRF token: refused
    assert db.exec(select(ApiToken)).all() == []


def test_cli_makes_a_token(app, db, world, runner):
    result = runner.invoke(
        args=[
            "zelfzorg",
            "token",
            "--user",
            world.poh.email,
            "--scope",
            "user/*.read",
            "--days",
            "7",
        ]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[0]
    db.commit()
    response = app.test_client().get("/fhir/Patient", headers=auth(token))
    assert response.status_code == 200
    bad = runner.invoke(
        args=["zelfzorg", "token", "--user", world.caregroup_user.email, "--scope", "user/*.read"]
    )
    assert bad.exit_code == 1
    unknown = runner.invoke(
        args=["zelfzorg", "token", "--user", "x@y.nl", "--scope", "user/*.read"]
    )
    assert unknown.exit_code == 1
