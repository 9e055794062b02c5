"""Render HTML to PDF with WeasyPrint, fetching nothing but inline data and our own static files.

WeasyPrint's default fetcher opens every protocol: a ``<link rel="attachment"
href="file:///...">`` that slips into a template embeds a local file in the PDF, and an ``<img
src="http://...">`` makes the server call out (REFERENCE.md, "Security and logging"). Our fetcher
allows only ``data:`` URLs and files under ``static_dir`` addressed as ``/static/...``; it never
touches the network, so redirects cannot be followed either.

Templates should get plain values (not ORM objects) and stay short: render time grows faster
than the page count.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

#: Origin used to resolve ``/static/...`` when the caller gives no base URL. The ``.invalid``
#: top-level domain is reserved (RFC 2606), so this can never reach a real host.
INTERNAL_ORIGIN = "https://zelfzorg.invalid/"

STATIC_PREFIX = "/static/"


class URLRefused(ValueError):
    """The PDF fetcher refused a URL (anything but ``data:`` and our own static files)."""


class StaticOnlyURLFetcher(URLFetcher):
    """WeasyPrint fetcher for ``data:`` URLs and ``<origin>/static/...`` files only.

    A refusal raises :class:`URLRefused`; WeasyPrint logs it and renders without the resource.
    Refused URLs are kept in ``refused`` (and logged) so callers and tests can see them.
    """

    def __init__(self, *, origin: str, static_dir: Path | None) -> None:
        # allowed_protocols and allow_redirects are a second line of defence: ``fetch`` below
        # only ever hands ``data:`` URLs to the urllib machinery of the parent class.
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
        parts = urlsplit(origin)
        self._origin = (parts.scheme.lower(), parts.netloc.lower())
        self._static_root = static_dir.resolve(strict=True) if static_dir is not None else None
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)
        path = self._static_file(url)
        if path is None:
            self.refused.append(url)
            # Truncated: a refused URL is template content, possibly long.
            logger.warning("PDF rendering refused to fetch %.200s", url)
            raise URLRefused(f"refused to fetch {url[:200]!r}")
        mime_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={"Content-Type": mime_type or "application/octet-stream"},
        )

    def _static_file(self, url: str) -> Path | None:
        """The file a ``/static/...`` URL of our origin names, or None if it is not one."""
        if self._static_root is None:
            return None
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if (parts.scheme.lower(), parts.netloc.lower()) != self._origin:
            return None
        # Decode before checking, so %2e%2e or %2f cannot smuggle a path past the prefix test.
        path = unquote(parts.path)
        if not path.startswith(STATIC_PREFIX) or "\x00" in path:
            return None
        candidate = (self._static_root / path.removeprefix(STATIC_PREFIX)).resolve()
        # resolve() follows symlinks and "..": the real path must still be inside static_dir.
        if not candidate.is_relative_to(self._static_root) or not candidate.is_file():
            return None
        return candidate


def render_pdf(html: str, *, base_url: str | None = None, static_dir: Path | None = None) -> bytes:
    """Render an HTML document to PDF bytes.

    ``base_url`` is the application's root URL (``http(s)://host/``); relative links resolve
    against it, and ``/static/...`` on that origin is read from ``static_dir`` on disk, never
    over the network. Without ``base_url`` an internal origin is used. Every other URL is
    refused and left out of the PDF.
    """
    origin = base_url if base_url is not None else INTERNAL_ORIGIN
    if urlsplit(origin).scheme.lower() not in ("http", "https"):
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    fetcher = StaticOnlyURLFetcher(origin=origin, static_dir=static_dir)
    document = HTML(string=html, base_url=origin, url_fetcher=fetcher)
    return document.write_pdf()


def pdf_response(html: str, filename: str):
    """The HTML of the current request rendered as a PDF download named ``filename``: links
    resolve against the request's root URL, ``/static/...`` is read from the app's static
    folder."""
    from flask import current_app, request

    from zelfzorg.web import download

    static = current_app.static_folder
    body = render_pdf(html, base_url=request.url_root, static_dir=Path(static) if static else None)
    return download(body, "application/pdf", filename)
