"""Zelfzorg: supported self-management for people with chronic conditions."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

from flask import Flask, g, render_template, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError
from werkzeug.utils import cached_property

from zelfzorg.config import ROOT, Config, enforce_secrets, ensure_sqlite_dir
from zelfzorg.errors import N_

# Domain packages with a views module, in nav order.
DOMAINS = [
    "accounts",
    "patients",
    "audit",
    "notifications",
    "worklist",
    "izp",
    "assessment",
    "telemonitoring",
    "leefstijl",
    "outcomes",
    "contracting",
    "fhir",
    "privacy",
]
# Every module registered as a blueprint: ``bp`` and an optional ``NAV``. A domain's further
# blueprints (beside its views module) are listed here too; there is no other hook.
VIEW_MODULES = [f"{domain}.views" for domain in DOMAINS] + [
    "contracting.export_views",
    "fhir.download_views",
]


class _Babel(Babel):
    """Flask-Babel with the per-request catalog of ``web.CatalogDomain``."""

    @cached_property
    def domain_instance(self):
        from zelfzorg.web import CatalogDomain

        return CatalogDomain(domain=self.domain)


babel = _Babel()
csrf = CSRFProtect()
login_manager = LoginManager()


def translation_directories() -> str:
    """Every domain keeps its own catalog; Flask-Babel merges them."""
    dirs = [ROOT / "zelfzorg" / "translations"]
    dirs += sorted(p for p in (ROOT / "zelfzorg").glob("*/translations") if p.is_dir())
    return ";".join(str(d) for d in dirs)


def select_locale() -> str:
    languages = ("nl", "en")
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("lang") in languages:
        return session["lang"]
    return "nl"


# The language a user chose ("nl", "en") and the Babel locale its numbers and dates follow. A
# Dutch care context: English readers get day-month-year dates (British English), never US.
FORMAT_LOCALES = {"nl": "nl", "en": "en_GB"}


def babel_locale() -> str:
    """Flask-Babel's locale: translations of ``select_locale``, formats of its FORMAT_LOCALES."""
    return FORMAT_LOCALES[select_locale()]


def create_app(config: type[Config] | dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    enforce_secrets(app.config)
    _refuse_served_export_dir(app.config)
    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The audit log's client address must be the user's, not the proxy's.
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = translation_directories()
    Path(app.instance_path).mkdir(exist_ok=True)
    ensure_sqlite_dir(app.config["DATABASE_URL"])  # a SQLite file elsewhere: its folder too

    from zelfzorg import boundary, db, heap

    boundary.init_app(app)
    db.init_app(app)
    heap.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=babel_locale)
    _init_login(app)
    _init_templates(app)
    _init_errors(app)
    _init_security_headers(app)

    app.extensions["zelfzorg_nav"] = []
    for module in VIEW_MODULES:
        views = importlib.import_module(f"zelfzorg.{module}")
        app.register_blueprint(views.bp)
        app.extensions["zelfzorg_nav"].extend(getattr(views, "NAV", []))

    from zelfzorg.cli import register_cli
    from zelfzorg.models_registry import import_domain_modules

    # Domains register scheduler jobs and worklist sources when these modules load.
    import_domain_modules("jobs")
    import_domain_modules("worklist_sources")

    register_cli(app)

    # Only the development server runs the jobs in-process; in production every gunicorn
    # worker would start its own scheduler, so there it is one `zelfzorg scheduler` process.
    if app.config.get("SCHEDULER_ENABLED") and app.config.get("ENV_NAME") == "development":
        from zelfzorg.notifications.jobs import start_scheduler

        start_scheduler(app.extensions["zelfzorg_engine"], settings=app.config)
    return app


def _refuse_served_export_dir(config) -> None:
    """Bulk export files hold patient data: never in a folder the web server serves."""
    folder = Path(config["FHIR_EXPORT_DIR"]).resolve()
    served = (ROOT / "static").resolve()
    if folder == served or served in folder.parents:
        raise RuntimeError("FHIR_EXPORT_DIR must not be inside the static (web-served) folder")


def _user_statement():
    """The signed-in user's statement (built once): the user, a patient's own record, the
    count of unread notifications, the practices of the user's memberships and (for a
    professional) one row per practice they work for with its name (the list pages' practice
    filter), in name order."""
    import sqlalchemy as sa
    from sqlmodel import col, select

    from zelfzorg.accounts.models import Practice, PracticeMembership, Role, User
    from zelfzorg.accounts.scope import membership_ids
    from zelfzorg.notifications.models import Notification
    from zelfzorg.patients.models import Patient

    unread = (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == User.id, col(Notification.read_at).is_(None))
        .correlate(User)
        .scalar_subquery()
    )
    works_for = sa.and_(
        User.role == Role.professional,
        sa.or_(
            col(Practice.id) == User.practice_id,
            col(Practice.id).in_(
                sa.select(PracticeMembership.practice_id).where(
                    PracticeMembership.user_id == User.id
                )
            ),
        ),
    )
    return (
        select(User, Patient, unread, membership_ids(User.id), Practice.id, Practice.name)
        .outerjoin(Patient, col(Patient.id) == User.patient_id)
        .outerjoin(Practice, works_for)
        .where(User.id == sa.bindparam("user_id"))
        .order_by(Practice.name, Practice.id)
    )


_USER_STATEMENT = None


def _init_login(app: Flask) -> None:
    from zelfzorg.accounts.models import Role, User
    from zelfzorg.db import get_session

    global _USER_STATEMENT
    if _USER_STATEMENT is None:
        _USER_STATEMENT = _user_statement()

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = N_("Log in om deze pagina te zien.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    def _localize(message):
        from flask_babel import gettext

        return gettext(message)

    login_manager.localize_callback = _localize

    def _load_user(user_id: int) -> User | None:
        """The user, (for a patient) their patient record, their unread notifications (every
        page's menu shows the count) and (for staff) their practices and their names in one
        statement: the record lands in the session, so the page's access check finds it
        without a query, and neither ``current_actor`` nor ``practice_filter`` needs a query
        of its own."""
        from zelfzorg.accounts.scope import parse_membership_ids
        from zelfzorg.web import unread_notifications

        db = get_session()
        rows = db.exec(_USER_STATEMENT, params={"user_id": user_id}).all()
        if not rows:
            return None
        row = rows[0]
        g.practice_names = (row[0].id, {r[4]: r[5] for r in rows if r[4] is not None})
        # The identity map holds objects weakly: keep the record for the request's session.
        db.info["signed_in_patient"] = row[1]
        unread_notifications(row[2])
        g.memberships = (row[0].id, parse_membership_ids(row[3]))
        return row[0]

    @login_manager.user_loader
    def _load(user_key: str):
        user_id, _, nonce = user_key.partition(".")
        if not user_id.isdigit():
            return None
        login_at = session.get("login_at")
        if not isinstance(login_at, int) or time.time() - login_at > app.config["SESSION_MAX_AGE"]:
            return None  # an absolute limit, however active the session stayed
        user = _load_user(int(user_id))
        if user is None or not user.is_active or user.session_nonce != nonce:
            return None
        # Idle timeout, checked on the server: 30 minutes for staff (they see many patients'
        # records, often on shared computers), the session lifetime for patients.
        idle = (
            app.config["PERMANENT_SESSION_LIFETIME"]
            if user.role == Role.patient
            else app.config["STAFF_IDLE_SECONDS"]
        )
        seen = session.get("seen_at")
        now = int(time.time())
        if isinstance(seen, int) and now - seen > idle:
            return None
        if seen != now:
            session["seen_at"] = now
        return user


def _init_templates(app: Flask) -> None:
    from jinja2 import pass_eval_context

    from zelfzorg.labels import label
    from zelfzorg.web import (
        catalog,
        format_day,
        format_moment,
        format_number,
        nav_links,
        template_gettext,
        translate,
        unread_notifications,
    )

    # The templates' ``_``: the request's catalog, found once (Flask-Babel's callables look it
    # up again for every text).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: catalog().ugettext(s),
        ngettext=lambda s, p, n: catalog().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalog().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalog().unpgettext(c, s, p, n),
    )
    # ``_("...")``: straight to the catalog (Jinja's alias resolves ``gettext`` and calls it
    # through the context on every text); same result, see ``template_gettext``.
    fast = pass_eval_context(template_gettext)
    app.jinja_env.globals.update(_=fast, gettext=fast)

    @app.context_processor
    def _inject():
        role = current_user.role if current_user.is_authenticated else None
        unread = 0
        if current_user.is_authenticated:
            unread = unread_notifications()
        return {
            "nav_items": nav_links(role),
            "current_locale": select_locale(),
            "unread_notifications": unread,
        }

    app.jinja_env.filters["date"] = format_day
    app.jinja_env.filters["datetime"] = format_moment
    app.jinja_env.globals["t"] = translate
    app.jinja_env.globals["label"] = label
    app.jinja_env.filters["sentence"] = lambda s: str(s)[:1].upper() + str(s)[1:]
    # Numbers as the reader's language writes them: 61,5 in Dutch, 61.5 in English.
    app.jinja_env.filters["number"] = lambda n, decimals=None: format_number(n, decimals)


def _init_errors(app: Flask) -> None:
    from flask import jsonify
    from flask_babel import gettext

    from zelfzorg.boundary import E_TOO_LARGE
    from zelfzorg.errors import Forbidden, NotFound
    from zelfzorg.web import translate

    def page(code: int):
        def handler(error):
            if code >= 500:
                g.db_rollback = True
            message = getattr(error, "message", None) if code == 400 else None
            if code == 413:
                message = E_TOO_LARGE
            if isinstance(message, str):
                message = translate(message, getattr(error, "params", None))
            else:
                message = None
            if request.path.startswith("/api/"):
                return jsonify(
                    error=message or gettext("Dit verzoek kon niet worden verwerkt")
                ), code
            return render_template("error.html", code=code, message=message), code

        return handler

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, page(code))
    app.register_error_handler(NotFound, page(404))
    app.register_error_handler(Forbidden, page(403))

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render_template("error.html", code=400, csrf=True), 400


def _init_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.is_secure:  # behind TLS (or a proxy saying so, see PROXY_FIX_HOPS)
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint and request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
