"""Helpers shared by the views: the acting user, role checks, errors, dates, navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache, wraps
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel.support import NullTranslations
from flask import Response, abort, current_app, flash, g, request
from flask.globals import _cv_app
from flask_babel import Domain, format_decimal, get_locale, gettext
from flask_login import current_user, login_required
from markupsafe import Markup

from zelfzorg.accounts.models import Role
from zelfzorg.accounts.scope import Actor, actor_for
from zelfzorg.accounts.services import SecurityPolicy
from zelfzorg.db import get_session
from zelfzorg.errors import DomainError
from zelfzorg.inputs import parse_id
from zelfzorg.texts import localize_params

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def current_actor() -> Actor:
    """The signed-in user as an Actor, built once per request (memberships included)."""
    if "actor" not in g:
        user = current_user._get_current_object()
        # The memberships read with the signed-in user (``_load_user``), when they are its.
        read = g.get("memberships")
        memberships = read[1] if read is not None and read[0] == user.id else None
        g.actor = actor_for(get_session(), user, request.remote_addr or "", memberships=memberships)
    return g.actor


def unread_notifications(known: int | None = None) -> int:
    """The signed-in user's unread notifications, counted once per request (every page's
    menu shows it); a view that already counted them passes ``known``."""
    if known is not None:
        g.unread_notifications = known
    elif "unread_notifications" not in g:
        from zelfzorg.notifications.services import unread_count

        g.unread_notifications = unread_count(get_session(), current_user.id)
    return g.unread_notifications


def policy() -> SecurityPolicy:
    """The security settings (password hashing, lock-out, activation codes) from the config."""
    c = current_app.config
    return SecurityPolicy(
        argon2_time_cost=c["ARGON2_TIME_COST"],
        argon2_memory_cost=c["ARGON2_MEMORY_COST"],
        max_failures=c["LOGIN_MAX_FAILURES"],
        lockout_minutes=c["LOGIN_LOCKOUT_MINUTES"],
        activation_weeks=c["ACTIVATION_CODE_WEEKS"],
        totp_issuer=c["TOTP_ISSUER"],
    )


def today() -> date:
    return datetime.now(AMSTERDAM).date()


def roles_required(*roles: Role) -> Callable:
    """Login (with second factor done) and one of the roles; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                _audit_denied(kwargs.get("patient_id"))
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def language() -> str:
    """The reader's language, "nl" or "en" (Babel's locale may be a region, e.g. en_GB for
    dates): for texts kept per language ({"nl": ..., "en": ...})."""
    locale = get_locale()
    return locale.language if locale is not None else "nl"


class CatalogDomain(Domain):
    """Flask-Babel's message domain, its catalog found once per request and language.

    Flask-Babel keeps the merged catalogs (every domain folder) per process but looks the
    request's up again (context, locale, the locale's name) on every ``gettext``; a page
    calls it hundreds of times. The request remembers the one it found, keyed on the locale
    object itself, so ``force_locale`` (another language for one text) and a language
    switch within the request get their own."""

    def get_translations(self):
        # Flask-Babel's own per-request namespace, reached without its proxies (they are
        # most of the cost): the locale it selected (or ``force_locale`` set) and our find.
        app_ctx = _cv_app.get(None)
        space = getattr(app_ctx.g, "_flask_babel", None) if app_ctx is not None else None
        locale = getattr(space, "babel_locale", None)
        if locale is None:
            locale = get_locale()
            if locale is None:
                return NullTranslations()
            space = app_ctx.g._flask_babel
        cached = getattr(space, "zelfzorg_catalog", None)
        if cached is not None and cached[0] is self and cached[1] is locale:
            return cached[2]
        found = super().get_translations()
        space.zelfzorg_catalog = (self, locale, found)
        return found


def catalog():
    """The reader's translations (the templates' ``_`` and ``translate`` use it): the app's
    one message domain (no page sets another, ``Domain.as_default``), reached without
    Flask-Babel's per-call context lookup."""
    from zelfzorg import babel

    return babel.domain_instance.get_translations()


def fast_gettext(message: str, **variables) -> str:
    """``flask_babel.gettext`` through ``catalog()`` (the templates' ``_`` and ``t``)."""
    text = catalog().ugettext(message)
    return text % variables if variables else text


def template_gettext(eval_ctx, message: str, **variables):
    """The templates' ``_`` (and ``gettext``): what Jinja's newstyle gettext gives (the text
    as a format string, escaped where the template escapes), in one call instead of its
    four. A text without variables is kept, escaped, on the catalog it came from: the
    catalogs live for the process, one per language, and a page asks for the same few dozen
    texts on every request."""
    translations = catalog()
    if variables or not eval_ctx.autoescape:
        text = translations.ugettext(message)
        return (Markup(text) if eval_ctx.autoescape else text) % variables
    kept = translations.__dict__.get("zelfzorg_markup")
    if kept is None:
        kept = translations.__dict__["zelfzorg_markup"] = {}
    text = kept.get(message)
    if text is None:
        text = kept[message] = Markup(translations.ugettext(message)) % {}
    return text


def fast_ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return catalog().ungettext(singular, plural, num) % variables


def translate(message: str, params: dict | None = None) -> str:
    if not params:
        return fast_gettext(message)
    values = localize_params(params, str(get_locale() or "nl"))
    # A date in a message reads as the user's language writes it (Babel), not 2026-03-01.
    values = {
        k: format_day(v, "long") if isinstance(v, date) and not isinstance(v, datetime) else v
        for k, v in values.items()
    }
    return fast_gettext(message, **values)


def _audit_denied(patient_id: int | None) -> None:
    """A role that may not use this page tried it: recorded like any refused access."""
    from zelfzorg.accounts.scope import audit
    from zelfzorg.audit.models import AuditAction, AuditOutcome
    from zelfzorg.db import get_session

    audit(
        get_session(),
        current_actor(),
        action=AuditAction.read if request.method == "GET" else AuditAction.update,
        object_type=(request.endpoint or "page")[:50],
        patient_id=patient_id if isinstance(patient_id, int) else None,
        outcome=AuditOutcome.denied,
    )


def error_text(error: DomainError) -> str:
    return translate(error.message, error.params)


def flash_error(error: DomainError) -> None:
    flash(error_text(error), "error")


def form_errors(form, error: DomainError) -> None:
    """Attach a domain error to the matching form field (or flash it)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error_text(error)]
    else:
        flash_error(error)


def form_status() -> int:
    """A form page answered to a POST was refused (success redirects): 400."""
    return 400 if request.method == "POST" else 200


def flash_field_errors(form) -> None:
    """Field errors of a form that the page does not show beside its fields."""
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "error")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str  # Dutch msgid
    roles: tuple[Role, ...]
    order: int = 50


def nav_for(role: Role | None) -> list[NavItem]:
    items = current_app.extensions.get("zelfzorg_nav", [])
    return sorted((i for i in items if role in i.roles), key=lambda i: (i.order, i.endpoint))


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    href: str
    text: str  # in the reader's language


def nav_links(role: Role | None) -> tuple[NavLink, ...]:
    """The menu of a role in the reader's language: its links and words built once per
    process (per role, language and script root); only the active item and the unread
    badge are the request's own (base.html)."""
    key = (role, language(), request.script_root)
    cache = current_app.extensions.setdefault("zelfzorg_nav_links", {})
    links = cache.get(key)
    if links is None:
        from flask import url_for

        links = tuple(
            NavLink(item.endpoint, url_for(item.endpoint), translate(item.label))
            for item in nav_for(role)
        )
        cache[key] = links
    return links


def download(content: bytes | str, mimetype: str, filename: str) -> Response:
    """A file to save, not to show: ``Content-Disposition: attachment`` with its name."""
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def format_number(value: float | int | None, decimals: int | None = None) -> str:
    """A number in the reader's language (Babel): 61,5 and 6.000 in Dutch, 61.5 and 6,000 in
    English; ``decimals`` fixes the digits after the mark (66,7 not 66,666)."""
    if value is None or value == "":
        return ""
    if decimals is None:
        return format_decimal(value)
    return format_decimal(
        round(float(value), decimals), "#,##0" + ("." + "0" * decimals if decimals else "")
    )


@lru_cache(maxsize=8192)
def _day_text(day: date, fmt: str, locale: str) -> str:
    return babel_dates.format_date(day, fmt, locale=locale)


def format_day(value: date | datetime | None, fmt: str = "medium") -> str:
    """A date in the reader's language (Babel): "2 dec 2026" / "Dec 2, 2026" for "medium"; a
    datetime by its calendar day in Amsterdam (naive ones are UTC, as Flask-Babel reads them).
    A day's text is kept per (day, format, language) for the process: a list page shows the
    same few dates hundreds of times."""
    if not value:
        return ""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        value = aware.astimezone(AMSTERDAM).date()
    return _day_text(value, fmt, str(get_locale() or "nl"))


def format_moment(value: datetime | None, fmt: str = "medium") -> str:
    """A moment in the reader's language and Amsterdam time (Babel): "3 nov 2026, 09:15:00"
    for "medium" (naive ones are UTC). Babel itself with the request's locale: Flask-Babel's
    ``format_datetime`` looks up the locale and time zone again for every value (a third of
    the time on a page of readings)."""
    if not value:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return babel_dates.format_datetime(aware, fmt, tzinfo=AMSTERDAM, locale=get_locale() or "nl")


def local(dt: datetime | None) -> datetime | None:
    return dt.astimezone(AMSTERDAM) if dt else None


@dataclass(frozen=True)
class PracticeFilter:
    """The actor's practices, and the one a list is narrowed to (``?praktijk=ID``)."""

    names: dict[int, str]  # practice id -> name, in name order
    selected: int | None

    @property
    def several(self) -> bool:
        """Show the practice of each line and the filter only when there is a choice."""
        return len(self.names) > 1

    @property
    def practice_ids(self) -> list[int]:
        return [self.selected] if self.selected is not None else list(self.names)


def practice_filter() -> PracticeFilter:
    """Read the practice filter of a list page; a practice not the actor's shows all of theirs
    with a message (bad input changes nothing)."""
    from zelfzorg.accounts.services import practice_names

    actor = current_actor()
    # The names read with the signed-in user (``_load_user``), when they are its.
    read = g.get("practice_names")
    if read is not None and read[0] == actor.user.id and set(read[1]) == actor.practice_ids:
        names = read[1]
    else:
        names = practice_names(get_session(), actor.practice_ids)
    raw = request.args.get("praktijk", "")
    selected = None
    if raw:
        number = parse_id(raw)
        selected = number if number in names else None
        if selected is None:
            flash(gettext("Kies een van uw praktijken."), "error")
    return PracticeFilter(names, selected)
