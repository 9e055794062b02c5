"""Every page of every role, in Dutch and in English, in plain words (issue 15, part 1).

Two worlds: the factories' personas with every GET route of the access matrix (its URL
arguments), and the demo data, crawled by following the links each demo login sees. Each page
is checked by ``checks.problems``: no raw codes or class names, no ISO timestamps, no decimal
point in Dutch, no Dutch message left untranslated in English.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

from sqlmodel import select

from tests.plainwords.checks import problems
from tests.security.crawl import PERSONAS, page_urls
from zelfzorg.accounts.models import User
from zelfzorg.audit.models import AuditEntry
from zelfzorg.demo import seed_demo
from zelfzorg.labels import OBJECT_TYPES

LANGS = ("nl", "en")
SKIP_PREFIXES = ("/logout", "/taal", "/static", "/api/", "/fhir")
SKIP_SUFFIXES = (".pdf", ".csv", ".json", ".svg", ".png")
PER_ENDPOINT = 3  # the same page for more records shows the same words


def _set_lang(db, user, client, lang):
    if user is None:
        with client.session_transaction() as sess:
            sess["lang"] = lang
        return
    db.get(User, user.id).locale = lang
    db.commit()


def _names(db) -> tuple[str, ...]:
    """People's names in the data, longest first (a name may contain another)."""
    names = {n for n in db.exec(select(User.name)).all() if n}
    db.commit()  # no read transaction left open while the client writes (SQLite)
    return tuple(sorted(names, key=len, reverse=True))


def _report(bad: dict[str, list[str]], limit: int = 8) -> str:
    lines = []
    for url, found in sorted(bad.items()):
        lines.append(url)
        lines += [f"    {p}" for p in sorted(set(found))[:limit]]
    return "\n".join(lines)


def test_every_page_of_every_persona_in_plain_words(app, world, db, login):
    bad: dict[str, list[str]] = {}
    pages = 0
    names = _names(db)
    for persona in PERSONAS:
        user = world.user_for(persona)
        urls = page_urls(app, world, db, persona)
        for lang in LANGS:
            client = login(user) if user is not None else app.test_client()
            _set_lang(db, user, client, lang)
            for url, data in urls:
                response = client.get(url, query_string=data)
                if response.status_code != 200 or response.mimetype != "text/html":
                    continue
                pages += 1
                if found := problems(response.get_data(as_text=True), lang, names):
                    bad[f"{persona} {lang} {url}"] = found
    assert pages > 100
    assert not bad, "pages with raw codes or unformatted values:\n" + _report(bad)
    # Every object type the pages wrote to the log has plain words for the log's readers.
    written = set(db.exec(select(AuditEntry.object_type).distinct()).all())
    db.commit()
    unlabelled = {t for t in written if "." not in t} - set(OBJECT_TYPES)
    assert len(written) > 20 and not unlabelled


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href") or ""
            parts = urlsplit(href)
            if not parts.netloc and parts.path.startswith("/"):
                self.links.append(parts.path + (f"?{parts.query}" if parts.query else ""))


def _endpoint(app, url: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(urlsplit(url).path, method="GET")
    except Exception:  # noqa: BLE001 - a link to a POST-only route or nowhere: not crawled
        return None
    return endpoint


def crawl_links(app, client, lang, bad, label, names, limit: int = 400) -> int:
    """Breadth-first over the links a user sees, a few URLs per endpoint."""
    queue, seen, per_endpoint, pages = ["/"], {"/"}, {}, 0
    while queue and pages < limit:
        url = queue.pop(0)
        response = client.get(url, follow_redirects=True)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages += 1
        html = response.get_data(as_text=True)
        if found := problems(html, lang, names):
            bad[f"{label} {lang} {url}"] = found
        parser = _Links()
        parser.feed(html)
        for link in parser.links:
            if link in seen or link.startswith(SKIP_PREFIXES) or link.endswith(SKIP_SUFFIXES):
                continue
            endpoint = _endpoint(app, link)
            if endpoint is None or per_endpoint.get(endpoint, 0) >= PER_ENDPOINT:
                continue
            per_endpoint[endpoint] = per_endpoint.get(endpoint, 0) + 1
            seen.add(link)
            queue.append(link)
    return pages


def test_every_page_of_the_demo_in_plain_words(app, db, login):
    logins = seed_demo(db, n_patients=12, progress=lambda _msg: None)
    db.commit()
    emails = {}
    for demo in logins:
        emails.setdefault(demo.role, demo.email)
    assert {"patient", "professional", "caregroup", "admin"} <= set(emails)
    bad: dict[str, list[str]] = {}
    pages = 0
    users = {role: db.exec(select(User).where(User.email == e)).one() for role, e in emails.items()}
    names = _names(db)
    for role, user in sorted(users.items()):
        for lang in LANGS:
            client = login(user)
            _set_lang(db, user, client, lang)
            pages += crawl_links(app, client, lang, bad, role, names)
    assert pages > 40
    assert not bad, "demo pages with raw codes or unformatted values:\n" + _report(bad)
