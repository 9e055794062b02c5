"""render_pdf: content prints, and nothing outside data: URLs and our static files is fetched."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from jinja2 import Environment
from pypdf import PdfReader

from zelfzorg.pdf import INTERNAL_ORIGIN, StaticOnlyURLFetcher, URLRefused, render_pdf

PASSWD_MARKER = "root:x:0:0"


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_attachments(pdf: bytes) -> dict[str, list[bytes]]:
    return dict(PdfReader(io.BytesIO(pdf)).attachments)


def refused_urls(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.args[0] for r in caplog.records if r.name == "zelfzorg.pdf" and "refused" in r.msg]


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "docs").mkdir(parents=True)
    (static / "docs" / "note.txt").write_text("static note")
    # A file next to (not inside) static_dir that escapes must not reach.
    (tmp_path / "secret.txt").write_text("top secret")
    return static


@pytest.fixture
def counting_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server recording every request it receives."""
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet: requests are counted, not logged."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_rendered_pdf_contains_the_html_text() -> None:
    pdf = render_pdf("<h1>Mijn zorgplan</h1><p>Doel: elke dag 30 minuten wandelen</p>")

    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Mijn zorgplan" in text
    assert "Doel: elke dag 30 minuten wandelen" in text


def test_file_url_image_is_refused_and_not_embedded(caplog: pytest.LogCaptureFixture) -> None:
    pdf = render_pdf('<p>Plan</p><img src="file:///etc/passwd">')

    assert refused_urls(caplog) == ["file:///etc/passwd"]
    assert PASSWD_MARKER not in pdf_text(pdf)
    assert pdf_attachments(pdf) == {}


def test_file_url_attachment_is_refused_and_not_embedded(caplog: pytest.LogCaptureFixture) -> None:
    # With WeasyPrint's default fetcher this embeds /etc/passwd as a PDF attachment.
    pdf = render_pdf('<p>Plan</p><link rel="attachment" href="file:///etc/passwd">')

    assert refused_urls(caplog) == ["file:///etc/passwd"]
    assert pdf_attachments(pdf) == {}
    assert PASSWD_MARKER not in pdf_text(pdf)


def test_data_url_attachment_is_embedded() -> None:
    # Shows the attachment check above can see an embedded file, and that data: is allowed.
    pdf = render_pdf('<p>Plan</p><link rel="attachment" href="data:text/plain,hallo">')

    assert pdf_attachments(pdf) == {"attachment.bin": [b"hallo"]}


def test_remote_image_is_refused_without_any_request(
    caplog: pytest.LogCaptureFixture, counting_server: tuple[str, list[str]]
) -> None:
    base, requests = counting_server
    render_pdf(f'<p>Plan</p><img src="{base}/pixel.png">')

    assert refused_urls(caplog) == [f"{base}/pixel.png"]
    assert requests == []


def test_remote_stylesheet_on_the_base_origin_is_refused_without_request(
    caplog: pytest.LogCaptureFixture, counting_server: tuple[str, list[str]]
) -> None:
    # Only /static/ paths of the base origin are served, and those from disk, not over HTTP.
    base, requests = counting_server
    render_pdf('<link rel="stylesheet" href="/print.css"><p>Plan</p>', base_url=base + "/")

    assert refused_urls(caplog) == [f"{base}/print.css"]
    assert requests == []


def test_static_file_is_read_from_static_dir(
    static_dir: Path, counting_server: tuple[str, list[str]]
) -> None:
    base, requests = counting_server
    pdf = render_pdf(
        '<p>Plan</p><link rel="attachment" href="/static/docs/note.txt">',
        base_url=base + "/",
        static_dir=static_dir,
    )

    assert pdf_attachments(pdf) == {"note.txt": [b"static note"]}
    assert requests == []


def test_static_path_escaping_static_dir_is_refused(
    static_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pdf = render_pdf(
        '<link rel="attachment" href="/static/%2e%2e/secret.txt"><p>Plan</p>',
        static_dir=static_dir,
    )

    assert refused_urls(caplog) == [f"{INTERNAL_ORIGIN}static/%2e%2e/secret.txt"]
    assert pdf_attachments(pdf) == {}


def test_escaped_user_text_prints_as_text_and_fetches_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    user_text = '<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/passwd">'
    template = Environment(autoescape=True).from_string("<p>Mijn doel: {{ goal }}</p>")
    html = template.render(goal=user_text)
    assert "&lt;img src=" in html

    pdf = render_pdf(html)

    assert '<img src="file:///etc/passwd">' in pdf_text(pdf)
    assert refused_urls(caplog) == []
    assert pdf_attachments(pdf) == {}


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        render_pdf("<p>x</p>", base_url="file:///etc/")


class TestFetcher:
    """The fetcher itself, without rendering (fast)."""

    @pytest.fixture
    def fetcher(self, static_dir: Path) -> StaticOnlyURLFetcher:
        return StaticOnlyURLFetcher(origin="https://app.example/", static_dir=static_dir)

    def test_serves_static_file_with_content_type(self, fetcher: StaticOnlyURLFetcher) -> None:
        response = fetcher.fetch("https://app.example/static/docs/note.txt")
        try:
            assert response.read() == b"static note"
            assert response.content_type == "text/plain"
        finally:
            response.close()

    def test_serves_data_url(self, fetcher: StaticOnlyURLFetcher) -> None:
        response = fetcher.fetch("data:text/plain;base64,aGFsbG8=")
        try:
            assert response.read() == b"hallo"
        finally:
            response.close()

    @pytest.mark.parametrize(
        "url",
        [
            "file:///etc/passwd",
            "FILE:///etc/passwd",
            "http://app.example/static/docs/note.txt",  # other scheme than the origin
            "https://evil.example/static/docs/note.txt",  # other host
            "https://app.example/docs/note.txt",  # outside /static/
            "https://app.example/static/../secret.txt",
            "https://app.example/static/%2e%2e/secret.txt",
            "https://app.example/static/docs/%2e%2e/%2e%2e/secret.txt",
            "https://app.example/static/%2fetc/passwd",
            "https://app.example/static/docs",  # a directory, not a file
            "https://app.example/static/missing.txt",
            "ftp://app.example/static/docs/note.txt",
            "../secret.txt",
            "/etc/passwd",
        ],
    )
    def test_refuses(self, fetcher: StaticOnlyURLFetcher, url: str) -> None:
        with pytest.raises(URLRefused):
            fetcher.fetch(url)
        assert fetcher.refused == [url]

    def test_refuses_symlink_leading_outside_static_dir(
        self, fetcher: StaticOnlyURLFetcher, static_dir: Path
    ) -> None:
        (static_dir / "link.txt").symlink_to(static_dir.parent / "secret.txt")

        with pytest.raises(URLRefused):
            fetcher.fetch("https://app.example/static/link.txt")

    def test_refuses_static_urls_without_static_dir(self) -> None:
        fetcher = StaticOnlyURLFetcher(origin=INTERNAL_ORIGIN, static_dir=None)

        with pytest.raises(URLRefused):
            fetcher.fetch(f"{INTERNAL_ORIGIN}static/docs/note.txt")


def test_refusals_are_logged_as_warnings(caplog: pytest.LogCaptureFixture) -> None:
    fetcher = StaticOnlyURLFetcher(origin=INTERNAL_ORIGIN, static_dir=None)
    with caplog.at_level(logging.WARNING, logger="zelfzorg.pdf"), pytest.raises(URLRefused):
        fetcher.fetch("http://example.org/x.png")

    assert refused_urls(caplog) == ["http://example.org/x.png"]
