"""Find every form the app renders, per persona, so the bad-input corpus reaches each field.

The crawler builds one world, fetches every GET route a persona may use (URL arguments from
the access matrix's factories), and reads the HTML forms: their action, method and fields,
each classified as id, number, date or text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

from flask import url_for
from sqlmodel import Session

from tests.factories import World
from tests.test_access_matrix import RULES as ALL_RULES

PERSONAS = ("anonymous", "professional", "patient", "admin", "caregroup")
NUMBER_NAMES = {"target_value", "low", "high", "value", "score"}
SKIP = {"csrf_token"}


@dataclass
class FormField:
    name: str
    kind: str  # id, number, date, time, text, choice
    default: str


@dataclass
class Form:
    persona: str
    page: str
    action: str
    method: str
    fields: list[FormField] = field(default_factory=list)
    button: tuple[str, str] | None = None

    def data(self, name: str | None = None, value: object = None) -> list[tuple[str, object]]:
        """The form as the browser would send it, with field ``name`` set to ``value``."""
        pairs = [(f.name, value if f.name == name else f.default) for f in self.fields]
        if self.button and self.button[0] not in {f.name for f in self.fields}:
            pairs.append(self.button)
        return pairs

    @property
    def key(self) -> tuple:
        return (self.persona, self.method, self.action, tuple(sorted(f.name for f in self.fields)))


def _filler(name: str, input_type: str) -> str:
    if input_type == "email" or "email" in name:
        return "corpus@example.nl"
    if input_type == "password" or "password" in name:
        return "een-lang-wachtwoord-2026"
    return "Tekst"


class _FormParser(HTMLParser):
    def __init__(self, persona: str, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.persona, self.page = persona, page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None
        self._radios: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = Form(
                self.persona,
                self.page,
                a.get("action") or self.page,
                (a.get("method") or "get").upper(),
            )
            self._radios = set()
            return
        form = self._form
        if form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name and name not in SKIP:
            kind_attr = a.get("type", "text").lower()
            value = a.get("value", "")
            if kind_attr in ("submit", "button", "image", "reset"):
                if form.button is None:
                    form.button = (name, value)
                return
            if kind_attr in ("checkbox", "radio"):
                if kind_attr == "radio" and name in self._radios:
                    return
                if kind_attr == "checkbox" and "checked" not in a:
                    return
                self._radios.add(name)
                form.fields.append(FormField(name, "choice", value))
                return
            if kind_attr == "date":
                kind = "date"
                value = value or date.today().isoformat()
            elif kind_attr == "time":
                kind, value = "time", value or "08:00"
            elif name == "version" or name.endswith("_id"):
                kind = "id"
            elif a.get("inputmode") in ("decimal", "numeric") or name in NUMBER_NAMES:
                kind = "number"
            else:
                kind = "text"
                if not value and kind_attr != "hidden":
                    value = _filler(name, kind_attr)
            form.fields.append(FormField(name, kind, value))
        elif tag == "button" and name and form.button is None:
            form.button = (name, a.get("value", ""))
        elif tag == "select" and name:
            self._select = {"name": name, "values": [], "selected": None}
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            self._select["values"].append(value)
            if "selected" in a:
                self._select["selected"] = value
        elif tag == "textarea" and name and name not in SKIP:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        form = self._form
        if tag == "select" and self._select is not None and form is not None:
            s = self._select
            chosen = (
                s["selected"]
                if s["selected"] is not None
                else next((v for v in s["values"] if v), "")
            )
            numeric = bool(s["values"]) and all(v.isdigit() for v in s["values"] if v)
            form.fields.append(FormField(s["name"], "id" if numeric else "choice", chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None and form is not None:
            text = self._textarea["text"].strip() or "Tekst"
            form.fields.append(FormField(self._textarea["name"], "text", text))
            self._textarea = None
        elif tag == "form" and form is not None:
            self.forms.append(form)
            self._form = None


def page_urls(app, world: World, db: Session, persona: str) -> list[str]:
    urls = []
    for endpoint, rule in ALL_RULES.items():
        if persona not in rule.allowed:
            continue
        if not any("GET" in r.methods for r in app.url_map.iter_rules(endpoint)):
            continue
        params = rule.params(world, db)
        db.commit()
        with app.test_request_context():
            url = url_for(endpoint, **params)
        if url.endswith((".pdf", ".csv")) or endpoint.endswith("totp_enrol"):
            continue
        urls.append((url, rule.data_for(world, db, params)))
        db.commit()
    return urls


def crawl(app, world: World, db: Session, login) -> tuple[list[Form], dict[str, object]]:
    """Every distinct form, and a logged-in client per persona."""
    forms: dict[tuple, Form] = {}
    clients: dict[str, object] = {}
    for persona in PERSONAS:
        user = world.user_for(persona)
        client = login(user) if user is not None else app.test_client()
        clients[persona] = client
        for url, data in page_urls(app, world, db, persona):
            response = client.get(url, query_string=data)
            if response.status_code != 200 or not response.mimetype.startswith("text/html"):
                continue
            parser = _FormParser(persona, url)
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                if form.action.startswith(("/logout", "/taal")) or not form.fields:
                    continue
                forms.setdefault(form.key, form)
    return list(forms.values()), clients
