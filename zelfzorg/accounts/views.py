"""Login with two factors, patient activation, language switch, administration pages."""

from __future__ import annotations

import base64
import io
import time
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from zelfzorg.accounts import memberships, services
from zelfzorg.accounts.forms import (
    ActivateForm,
    CareGroupForm,
    LoginForm,
    MembershipForm,
    PracticeForm,
    TotpForm,
    UserForm,
)
from zelfzorg.accounts.models import Discipline, Role, User
from zelfzorg.db import get_session
from zelfzorg.errors import N_, ValidationError
from zelfzorg.web import NavItem, current_actor, error_text, form_errors, roles_required, today

bp = Blueprint("accounts", __name__)

NAV = [
    NavItem("accounts.admin_home", N_("Beheer"), (Role.admin,), 10),
    NavItem("accounts.caregroup_home", N_("Praktijken"), (Role.caregroup,), 10),
]

PENDING = "mfa_pending_user"
PENDING_AT = "mfa_pending_at"
LOGIN_AT = "login_at"
ENROL_SECRET = "mfa_enrol_secret"


def policy() -> services.SecurityPolicy:
    c = current_app.config
    return services.SecurityPolicy(
        argon2_time_cost=c["ARGON2_TIME_COST"],
        argon2_memory_cost=c["ARGON2_MEMORY_COST"],
        max_failures=c["LOGIN_MAX_FAILURES"],
        lockout_minutes=c["LOGIN_LOCKOUT_MINUTES"],
        activation_weeks=c["ACTIVATION_CODE_WEEKS"],
        totp_issuer=c["TOTP_ISSUER"],
    )


HOME_BY_ROLE = {
    Role.professional: "worklist.index",
    Role.patient: "patients.me",
    Role.caregroup: "accounts.caregroup_home",
    Role.admin: "accounts.admin_home",
}


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


def _finish_login(user: User):
    # A new session on login prevents session fixation; keep only the language choice.
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True
    session[LOGIN_AT] = int(time.time())
    login_user(user)
    return redirect(url_for(HOME_BY_ROLE[user.role]))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        try:
            result = services.authenticate(
                db,
                policy(),
                email=form.email.data,
                password=form.password.data,
                client_address=request.remote_addr or "",
            )
        except ValidationError as error:
            flash(error_text(error), "error")
            return render_template("accounts/login.html", form=form), 200
        if result.next_step == services.LoginStep.done:
            return _finish_login(result.user)
        session.clear()
        session[PENDING] = result.user.id
        session[PENDING_AT] = int(time.time())
        if result.next_step == services.LoginStep.enrol_totp:
            return redirect(url_for("accounts.totp_enrol"))
        return redirect(url_for("accounts.totp"))
    return render_template("accounts/login.html", form=form)


def _pending_user() -> User | None:
    """The user who gave a correct password a few minutes ago and owes the second factor."""
    user_id = session.get(PENDING)
    started = session.get(PENDING_AT, 0)
    if not user_id or time.time() - started > current_app.config["MFA_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    return get_session().get(User, user_id)


@bp.route("/login/totp", methods=["GET", "POST"])
def totp():
    user = _pending_user()
    if user is None or not user.totp_enrolled_at:
        return redirect(url_for("accounts.login"))
    form = TotpForm()
    if form.validate_on_submit():
        try:
            services.verify_totp(
                get_session(),
                policy(),
                user,
                form.code.data,
                client_address=request.remote_addr or "",
            )
        except ValidationError as error:
            form_errors(form, error)
            return render_template("accounts/totp.html", form=form), 200
        return _finish_login(user)
    return render_template("accounts/totp.html", form=form)


@bp.route("/login/totp/enrol", methods=["GET", "POST"])
def totp_enrol():
    user = _pending_user()
    if user is None or user.totp_enrolled_at:
        return redirect(url_for("accounts.login"))
    secret = session.get(ENROL_SECRET) or services.new_totp_secret()
    session[ENROL_SECRET] = secret
    form = TotpForm()
    if form.validate_on_submit():
        try:
            services.verify_totp(
                get_session(),
                policy(),
                user,
                form.code.data,
                client_address=request.remote_addr or "",
                enrol_secret=secret,
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            return _finish_login(user)
    uri = services.totp_uri(policy(), user, secret)
    svg = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage).save(svg)
    qr_data = "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode()
    return render_template("accounts/totp_enrol.html", form=form, secret=secret, qr_data=qr_data)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        # Ends this login everywhere: a copied session cookie stops working too.
        services.end_sessions(get_session(), current_user)
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/activeren", methods=["GET", "POST"])
def activate():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = services.activate_account(
                get_session(),
                policy(),
                code=form.code.data,
                email=form.email.data,
                password=form.password.data,
                client_address=request.remote_addr or "",
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Welkom! Uw account is klaar."), "success")
            return _finish_login(user)
    return render_template("accounts/activate.html", form=form)


@bp.post("/taal")
def set_language():
    lang = request.form.get("lang", "nl")
    if lang not in current_app.config["LANGUAGES"]:
        abort(400)
    session["lang"] = lang
    if current_user.is_authenticated:
        services.set_locale(get_session(), current_user, lang)
    return redirect(local_path(request.form.get("next")) or url_for("accounts.index"))


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirect). Browsers
    read a backslash like a slash and drop tabs and newlines, so those are refused too."""
    if not target or "\\" in target or any(ch.isspace() or ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# --- care group staff ----------------------------------------------------------------------


@bp.get("/zorggroep")
@roles_required(Role.caregroup)
def caregroup_home():
    from zelfzorg.accounts.reports import practice_overview

    rows = practice_overview(get_session(), current_user.care_group_id, today=today())
    return render_template("accounts/caregroup_home.html", rows=rows)


# --- administration -------------------------------------------------------------------------


@bp.get("/beheer")
@roles_required(Role.admin)
def admin_home():
    db = get_session()
    return render_template(
        "accounts/admin_home.html",
        care_groups=services.list_care_groups(db),
        practices=services.list_practices(db),
        users=services.list_staff(db),
    )


@bp.route("/beheer/zorggroepen/nieuw", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_new_care_group():
    form = CareGroupForm()
    if form.validate_on_submit():
        try:
            services.create_care_group(get_session(), current_actor(), name=form.name.data)
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Zorggroep aangemaakt."), "success")
            return redirect(url_for("accounts.admin_home"))
    return render_template("accounts/admin_form.html", form=form, title=_("Nieuwe zorggroep"))


@bp.route("/beheer/praktijken/nieuw", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_new_practice():
    db = get_session()
    form = PracticeForm()
    form.care_group_id.choices = [(g.id, g.name) for g in services.list_care_groups(db)]
    if form.validate_on_submit():
        try:
            services.create_practice(
                db,
                current_actor(),
                care_group_id=form.care_group_id.data,
                name=form.name.data,
                city=form.city.data or "",
                agb_code=form.agb_code.data or None,
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Praktijk aangemaakt."), "success")
            return redirect(url_for("accounts.admin_home"))
    return render_template("accounts/admin_form.html", form=form, title=_("Nieuwe praktijk"))


@bp.route("/beheer/gebruikers/nieuw", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_new_user():
    db = get_session()
    form = UserForm()
    form.practice_id.choices = [(0, "—")] + [(p.id, p.name) for p in services.list_practices(db)]
    form.care_group_id.choices = [(0, "—")] + [
        (g.id, g.name) for g in services.list_care_groups(db)
    ]
    if form.validate_on_submit():
        try:
            services.create_user(
                db,
                policy(),
                current_actor(),
                email=form.email.data,
                name=form.name.data,
                role=Role(form.role.data),
                password=form.password.data,
                discipline=Discipline(form.discipline.data) if form.discipline.data else None,
                practice_id=form.practice_id.data or None,
                care_group_id=form.care_group_id.data or None,
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(
                _(
                    "Gebruiker aangemaakt. Bij de eerste keer inloggen stelt deze de "
                    "tweestapsverificatie in."
                ),
                "success",
            )
            return redirect(url_for("accounts.admin_home"))
    return render_template("accounts/admin_form.html", form=form, title=_("Nieuwe gebruiker"))


def _memberships_page(user_id: int, form=None, status: int = 200):
    data = memberships.memberships_of(get_session(), current_actor(), user_id)
    form = form or MembershipForm(formdata=None)
    form.practice_id.choices = [(0, "—")] + [(p.id, p.name) for p in data.candidates]
    return render_template("accounts/admin_memberships.html", data=data, form=form), status


@bp.get("/beheer/gebruikers/<int:user_id>/praktijken")
@roles_required(Role.admin)
def admin_memberships(user_id: int):
    """The practices a professional works for: their own and the extra ones."""
    return _memberships_page(user_id)


@bp.post("/beheer/gebruikers/<int:user_id>/praktijken")
@roles_required(Role.admin)
def admin_add_membership(user_id: int):
    form = MembershipForm()
    if form.validate_on_submit():
        try:
            memberships.add_membership(
                get_session(), current_actor(), user_id, form.practice_id.data or None
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Praktijk toegevoegd."), "success")
            return redirect(url_for("accounts.admin_memberships", user_id=user_id))
    else:  # not a number
        form.practice_id.errors = [_("Kies een praktijk.")]
    return _memberships_page(user_id, form, 400)


@bp.post("/beheer/gebruikers/<int:user_id>/praktijken/<int:practice_id>/verwijderen")
@roles_required(Role.admin)
def admin_remove_membership(user_id: int, practice_id: int):
    try:
        memberships.remove_membership(get_session(), current_actor(), user_id, practice_id)
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Praktijk verwijderd."), "success")
    return redirect(url_for("accounts.admin_memberships", user_id=user_id))


@bp.post("/beheer/gebruikers/<int:user_id>/reset-2fa")
@roles_required(Role.admin)
def admin_reset_totp(user_id: int):
    try:
        services.reset_totp(get_session(), current_actor(), user_id)
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        flash(_("Tweestapsverificatie gewist; de gebruiker stelt deze opnieuw in."), "success")
    return redirect(url_for("accounts.admin_home"))
