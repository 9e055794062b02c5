"""PDF (and HTML) export: content, suppression, language, length and the safe fetcher."""

from __future__ import annotations

import io
import time
from dataclasses import replace

import pytest
from pypdf import PdfReader

from tests.contracting.report_fixture import build_report
from zelfzorg.contracting.exports import export_report
from zelfzorg.contracting.report_data import PracticeInfo


@pytest.fixture(scope="module")
def data():
    return build_report()


@pytest.fixture(scope="module")
def pdf_text(data):
    started = time.process_time()
    result = export_report(data, "pdf")
    seconds = time.process_time() - started
    reader = PdfReader(io.BytesIO(result.content))
    return result, [page.extract_text() for page in reader.pages], seconds


def test_thirty_practices_fit_in_25_pages_and_render_quickly(pdf_text):
    result, pages, seconds = pdf_text
    assert result.mimetype == "application/pdf" and result.content.startswith(b"%PDF")
    assert result.filename == "zorggroep-7-20250101-20251231.pdf"
    assert 5 <= len(pages) <= 25
    assert seconds < 20  # CPU seconds; a few on an idle machine


def test_pdf_names_period_practices_indicators_and_verdicts(data, pdf_text):
    _, pages, _ = pdf_text
    text = "\n".join(pages)
    title = pages[0]
    assert "Contractrapportage zelfmanagement" in title
    assert "Zorggroep Rivierenland" in title
    assert "1 januari 2025" in title and "31 december 2025" in title
    assert "Zilveren Kruis" in title and data.fingerprint[:20] in title
    assert "Gemaakt op" in title and "5 januari 2026 10:30" in title  # Amsterdam time
    for info in data.indicators:
        assert f"{info.id} " in text
    for practice in data.practices:
        assert practice.name in text
    conditions = pages[1]
    assert "Voorwaarden" in conditions
    assert "voldaan" in conditions and "niet voldaan" in conditions
    i1 = data.figure("I1")
    assert str(i1.percentage).replace(".", ",") in conditions
    assert "Definities" in pages[-1]
    # Percentages use the Dutch decimal comma; small practices show "<10", no counts.
    assert "<10" in text
    small = next(p.name for p in data.practices if p.id == 104)
    line = next(line for line in text.splitlines() if small in line)
    assert line.rstrip().endswith("<10 <10")


def test_every_indicator_has_its_own_page_with_a_chart(data, pdf_text):
    _, pages, _ = pdf_text
    counted = [info for info in data.indicators if not info.statement]
    for info in counted:
        assert any(page.startswith(f"{info.id} · ") or f"\n{info.id} · " in page for page in pages)


def test_english_option(data):
    html = export_report(data, "html", lang="en").content.decode()
    assert "Contracting report on self-management" in html
    assert "1 January 2025" in html  # British English: day-month-year
    assert "Conditions" in html and "Definitions" in html


def test_html_escapes_names_and_fetches_nothing(data):
    evil = '<link rel="attachment" href="file:///etc/passwd"><img src="http://example.com/x">'
    practices = [PracticeInfo(data.practices[0].id, evil), *data.practices[1:]]
    evil_data = replace(data, practices=practices, care_group_name="<b>Groep</b>")
    html = export_report(evil_data, "html").content.decode()
    assert evil not in html and "&lt;link rel=" in html
    assert "<b>Groep</b>" not in html
    pdf = export_report(evil_data, "pdf").content
    assert b"/EmbeddedFile" not in pdf and b"root:" not in pdf


def test_a_hidden_care_group_figure_leaves_no_trace_in_the_verdicts():
    # A care group of 8 patients: every cell is small, the verdict keeps its status only.
    data = build_report(n_practices=2, seed=3)
    tiny = replace(
        data,
        figures=[
            replace(f, numerator=min(f.numerator or 0, 5), denominator=8)
            if f.denominator is not None
            else f
            for f in data.figures
        ],
    )
    html = export_report(tiny, "html").content.decode()
    i1 = next(v for v in tiny.verdicts if v.indicator == "I1")
    assert f"{i1.params['value']}%" not in html  # the reason would say "I1 62.2% ..."
    assert "voldaan" in html  # the verdict itself stays
