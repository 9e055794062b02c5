"""Language switch: Dutch by default, English on request, remembered, never an open redirect."""

from __future__ import annotations

import re

import pytest

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def switch(client, lang: str, next_url: str | None = None):
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    token = CSRF.search(page).group(1)
    data = {"lang": lang, "csrf_token": token}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/taal", data=data)


def test_dutch_by_default_and_english_after_switching(client):
    assert '<html lang="nl">' in client.get("/login").text
    response = switch(client, "en", "/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert '<html lang="en">' in client.get("/login").text


def test_logged_in_users_keep_their_language(db, world, login):
    client = login(world.patient_user)
    switch(client, "en", "/mijn")
    db.refresh(world.patient_user)
    db.commit()
    assert world.patient_user.locale == "en"


def test_unknown_language_is_refused(client):
    assert switch(client, "fr").status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "javascript:x",
        "/\t/evil.example/",
        "/\n/evil.example",
    ],
)
def test_language_switch_redirects_only_within_the_site(client, target):
    response = switch(client, "en", target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
