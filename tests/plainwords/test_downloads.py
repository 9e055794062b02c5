"""Every PDF and CSV a role can download, in Dutch and in English, in plain words (issue 15,
part 1: "numbers, dates and times formatted with Babel ... everywhere (pages, PDF, CSV
headers)").

The same checks as the pages (``checks.text_problems``): no raw codes or class names, no ISO
timestamps, no decimal point in Dutch, no Dutch message left untranslated in English. A PDF is
read as text (pypdf), line by line; a CSV cell by cell, header row and values.

Columns an export names as codes (their header ends in "(code)") hold the log's own values
for other software - the audit log's hash covers them - and are read like ``<code>`` on a
page: not checked. Files people uploaded (a policy PDF) are their content, not ours.
"""

from __future__ import annotations

import csv
import io
import re

from flask import url_for
from pypdf import PdfReader

from tests.plainwords.checks import text_problems
from tests.plainwords.test_pages import LANGS, _names, _report, _set_lang
from tests.security.crawl import PERSONAS
from tests.test_access_matrix import RULES
from zelfzorg.accounts.models import User

UPLOADED = {"contracting.policy_pdf", "contracting_exports.download"}
CODE_COLUMN = "(code)"


def download_urls(app, world, db, persona: str, lang: str) -> list[tuple[str, str, dict]]:
    """(endpoint, url, query) of every PDF or CSV route the persona may use."""
    urls = []
    for endpoint, rule in RULES.items():
        if persona not in rule.allowed or endpoint in UPLOADED:
            continue
        if not any("GET" in r.methods for r in app.url_map.iter_rules(endpoint)):
            continue
        params = rule.params(world, db)
        db.commit()
        data = dict(rule.data_for(world, db, params))
        db.commit()
        variants = [params]
        if "fmt" in params:  # one route for every format of the report
            variants = [{**params, "fmt": fmt} for fmt in ("pdf", "csv")]
            data["taal"] = lang
        for values in variants:
            with app.test_request_context():
                url = url_for(endpoint, **values)
            if url.endswith((".pdf", ".csv")):
                urls.append((endpoint, url, data))
    return urls


def pdf_lines(body: bytes, names: tuple[str, ...] = (), clauses: frozenset[str] = frozenset()):
    """The PDF's text line by line. People's names are left out first, also when a line
    break splits them ("Patient" / "2"); the reference document's clause numbers ("2.1")
    are section numbers, not decimals."""
    reader = PdfReader(io.BytesIO(body))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    for name in names:
        text = re.sub(r"\s+".join(map(re.escape, name.split())), " ", text)
    for clause in clauses:
        text = re.sub(rf"(?<![\d.]){re.escape(clause)}(?![\d.])", " ", text)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def clause_numbers() -> frozenset[str]:
    from zelfzorg.contracting.indicators import DEFINITIONS

    return frozenset(d.info.clause for d in DEFINITIONS if re.fullmatch(r"\d+\.\d+", d.info.clause))


def csv_cells(body: bytes) -> list[str]:
    text = body.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = rows[0]
    shown = [i for i, h in enumerate(header) if not h.endswith(CODE_COLUMN)]
    cells = list(header)
    for row in rows[1:]:
        cells += [row[i] for i in shown if i < len(row) and row[i]]
    return cells


def downloaded_text(response, names, clauses) -> tuple[str, list[str]] | None:
    if response.mimetype == "application/pdf":
        return "pdf", pdf_lines(response.get_data(), names, clauses)
    if response.mimetype == "text/csv":
        return "csv", csv_cells(response.get_data())
    return None


def test_every_pdf_and_csv_of_every_role_in_plain_words(app, world, db, login):
    bad: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {"pdf": set(), "csv": set()}
    names = _names(db)
    for persona in PERSONAS:
        user = world.user_for(persona)
        if user is None:
            continue
        for lang in LANGS:
            client = login(user)
            _set_lang(db, user, client, lang)
            # A professional hands the patient's data over in the patient's language.
            db.get(User, world.patient_user.id).locale = lang
            db.commit()
            for endpoint, url, data in download_urls(app, world, db, persona, lang):
                response = client.get(url, query_string=data)
                assert response.status_code == 200, (persona, url)
                clauses = clause_numbers() if endpoint.startswith("contracting") else frozenset()
                found = downloaded_text(response, names, clauses)
                assert found is not None, (persona, url, response.mimetype)
                kind, chunks = found
                assert chunks, (persona, url)
                seen[kind].add(endpoint)
                if problems := text_problems(chunks, lang, names):
                    bad[f"{persona} {lang} {url}"] = problems
    # The plan, the data overview and the care-group report as PDF; the report and the audit
    # log as CSV.
    assert {"izp.pdf", "privacy.my_data_pdf", "privacy.patient_data_pdf"} <= seen["pdf"]
    assert {"contracting_exports.export", "audit.admin_export"} <= seen["csv"]
    assert not bad, "downloads with raw codes or unformatted values:\n" + report(bad)


def report(bad: dict[str, list[str]]) -> str:
    """Each kind of problem once per file (a log has the same timestamp problem on each row)."""
    short = {}
    for url, found in bad.items():
        kinds = {re.sub(r"\d", "0", p): p for p in found}
        short[url] = list(kinds.values())
    return _report(short, limit=40)


def test_the_csv_reader_skips_only_code_columns():
    body = "\ufeffid (code);Wanneer;actie (code)\r\n7;1 december 2026;read\r\n".encode()
    assert csv_cells(body) == ["id (code)", "Wanneer", "actie (code)", "1 december 2026"]


def test_us_dates_and_times_are_found_in_english():
    found = text_problems(["Agreed by patient: 11/30/26, 10:00 AM"], "en")
    assert len(found) == 1 and "US date or time" in found[0]
    assert text_problems(["Agreed by patient: 30/11/2026, 10:00"], "en") == []


def test_a_dutch_unit_after_a_number_is_found_in_english():
    found = text_problems(["Target: at least 6,000 stappen"], "en")
    assert len(found) == 1 and "Dutch unit" in found[0]
    assert text_problems(["Target: at least 6,000 steps"], "en") == []
    assert text_problems(["Doel: minstens 6.000 stappen"], "nl") == []
