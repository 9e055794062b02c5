"""Browser tests: a live server on the test database, Debian's Chromium through Playwright,
and axe-core on every page a test visits.

Use in a domain's browser test::

    from tests.browser.conftest import assert_accessible, browser_login, submit, visit

    def test_something(page, live_url, world):
        browser_login(page, live_url, world.poh)          # real login, TOTP included
        visit(page, f"{live_url}/patienten")              # goto + axe
        page.fill("input[name=q]", "Willemsen")
        submit(page, "form[role=search] button[type=submit]")  # click, wait for load, axe

Every page loaded in ``page``/``phone_page`` must be checked with axe (``visit``, ``submit``
or ``assert_accessible``); a passing test that left a loaded page unchecked errors at teardown.
Arrange data with the ``db``/``world`` fixtures and ``db.commit()`` before the browser acts:
the live server shares the test database (on SQLite a held transaction blocks the server).
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, sync_playwright
from sqlmodel import Session, select
from werkzeug.serving import make_server

from tests.factories import PASSWORD, TOTP_SECRET
from zelfzorg.accounts.models import Role, User
from zelfzorg.config import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FAILING_IMPACTS = ("serious", "critical")
ARTIFACTS = ROOT / "test-artifacts" / "browser"

_axe = Axe()
_live: dict[str, object] = {}  # "app" and "url" of the running live server
_loaded: dict[int, list[str]] = {}  # id(page) -> URLs of documents loaded in it
_checked: dict[int, set[str]] = {}  # id(page) -> URLs checked with axe
_strict: set[int] = set()  # id(page) of pages where axe fails on every violation


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "browser: drives Chromium against a live server (tests/browser)"
    )


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


# --- live server and browser ---------------------------------------------------------------


@pytest.fixture(scope="session")
def live_url(app) -> str:
    """Base URL of the app served from a background thread, on the same test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    _live.update(app=app, url=url)
    yield url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    _live.clear()


@pytest.fixture(scope="session")
def playwright():
    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def _new_page(browser, request, live_url: str, **context_options) -> Page:
    context = browser.new_context(base_url=live_url, **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    key = id(page)
    _loaded[key], _checked[key] = [], set()
    page.on("load", lambda p: _loaded[key].append(_strip_fragment(p.url)))
    return page


def _close_page(page: Page, request) -> None:
    key = id(page)
    call = getattr(request.node, "rep_call", None)
    try:
        if call is not None and call.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = request.node.nodeid.replace("/", "_").replace("::", "-")
            # A screenshot is a courtesy, never the failure itself.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        unchecked = [u for u in _loaded[key] if u not in _checked[key]]
    finally:
        page.context.close()
        _loaded.pop(key, None)
        _checked.pop(key, None)
        _strict.discard(key)
    if call is not None and call.passed and unchecked:
        pytest.fail(
            "pages loaded but never checked with axe (use visit/submit/assert_accessible): "
            + ", ".join(dict.fromkeys(unchecked)),
            pytrace=False,
        )


@pytest.fixture()
def page(browser, live_url, request) -> Page:
    """A desktop page (1280x800) in a fresh browser context; relative URLs use live_url."""
    p = _new_page(browser, request, live_url, viewport=DESKTOP)
    yield p
    _close_page(p, request)


@pytest.fixture()
def phone_page(browser, live_url, request) -> Page:
    """A phone-sized touch page (390x844, is_mobile) in a fresh browser context."""
    p = _new_page(browser, request, live_url, viewport=PHONE, is_mobile=True, has_touch=True)
    yield p
    _close_page(p, request)


@pytest.fixture()
def sized_page(browser, live_url, request) -> Page:
    """A page of the size in ``request.param`` (parametrize with ``indirect=True``): a
    viewport dict; a width under 768 is a touch phone."""
    viewport = request.param
    phone = {"is_mobile": True, "has_touch": True} if viewport["width"] < 768 else {}
    p = _new_page(browser, request, live_url, viewport=viewport, **phone)
    yield p
    _close_page(p, request)


# --- helpers ----------------------------------------------------------------------------------


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def strict_axe(page: Page) -> Page:
    """From now on axe fails ``page`` on every violation, minor and moderate ones too."""
    _strict.add(id(page))
    return page


def assert_accessible(page: Page) -> None:
    """Run axe-core on the current page; fail on any serious or critical violation (on a
    ``strict_axe`` page: on any violation at all)."""
    results = _axe.run(page)
    _checked.setdefault(id(page), set()).add(_strip_fragment(page.url))
    strict = id(page) in _strict
    violations = results.response["violations"]
    bad = [v for v in violations if strict or v.get("impact") in FAILING_IMPACTS]
    if not bad:
        return
    kind = "" if strict else "serious/critical "
    lines = [f"axe: {len(bad)} {kind}violation(s) on {page.url}"]
    for violation in bad:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {', '.join(map(str, node['target']))}: {summary}")
            lines.append(f"      {node['html'][:200]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    pytest.fail("\n".join(lines), pytrace=False)


def visit(page: Page, url: str, *, status: int | None = None) -> None:
    """Open ``url`` (absolute or relative to live_url), then check it with axe.

    Without ``status`` the final response must be a success (< 400); pass e.g. ``status=403``
    to visit an error page on purpose.
    """
    response = page.goto(url)
    assert response is not None, f"no response for {url}"
    if status is None:
        assert response.status < 400, f"{url} answered {response.status}"
    else:
        assert response.status == status, f"{url} answered {response.status}, not {status}"
    assert_accessible(page)


def submit(page: Page, target: str | Locator) -> None:
    """Click a submit button or link that loads a new page, wait for it, check it with axe."""
    locator = page.locator(target) if isinstance(target, str) else target
    with page.expect_event("load"):
        locator.click()
    assert_accessible(page)


def main_menu(page: Page, name: str = "Hoofdmenu") -> Locator:
    """The main menu of the current page. On a phone it sits behind its "Menu" button
    (a ``<details>``): open it first, as a person would."""
    summary = page.locator("details.menu-compact > summary")
    if summary.is_visible() and page.locator("details.menu-compact[open]").count() == 0:
        summary.click()
    return page.get_by_role("navigation", name=name)


def _totp_last_counter(user_id: int) -> int | None:
    app = _live["app"]
    with Session(app.extensions["zelfzorg_engine"]) as session:  # type: ignore[attr-defined]
        return session.exec(select(User.totp_last_counter).where(User.id == user_id)).first()


def _fresh_totp_code(user: User, secret: str) -> str:
    """A code for a time step the server has not seen yet for this user (no replay)."""
    totp = pyotp.TOTP(secret)
    last = _totp_last_counter(user.id)  # type: ignore[arg-type]
    while True:
        now = time.time()
        counter = int(now) // totp.interval
        if last is None or counter > last:
            return totp.generate_otp(counter)
        time.sleep(totp.interval - now % totp.interval + 0.05)


def browser_login(page: Page, live_url: str, user: User, password: str = PASSWORD) -> None:
    """The real login: email and password, then for staff the TOTP step (or enrolment)."""
    visit(page, f"{live_url}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", password)
    submit(page, "main form button[type=submit]")
    path = page.url.removeprefix(live_url).split("?", 1)[0]
    if user.role != Role.patient:
        if path == "/login/totp/enrol":
            secret = page.locator(".secret").inner_text().replace(" ", "").strip()
        else:
            assert path == "/login/totp", f"expected the TOTP step, got {page.url}"
            secret = user.totp_secret or TOTP_SECRET
        page.fill("input[name=code]", _fresh_totp_code(user, secret))
        submit(page, "main form button[type=submit]")
        path = page.url.removeprefix(live_url).split("?", 1)[0]
    assert not path.startswith("/login"), f"login as {user.email} failed: still on {page.url}"
