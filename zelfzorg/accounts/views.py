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
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from zelfzorg.accounts import (
    admin_users,
    memberships,
    practices,
    resets,
    services,
    throttle,
    tokens,
)
from zelfzorg.accounts.forms import (
    ActivateForm,
    ApiTokenForm,
    CareGroupForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    MembershipForm,
    NewPasswordForm,
    PracticeEditForm,
    PracticeForm,
    ResetCodeForm,
    RevokeForm,
    StaffResetForm,
    TotpForm,
    UserEditForm,
    UserForm,
)
from zelfzorg.accounts.models import Discipline, Role, User
from zelfzorg.db import get_session
from zelfzorg.errors import N_, Conflict, ValidationError
from zelfzorg.models_base import utcnow
from zelfzorg.web import (
    NavItem,
    current_actor,
    error_text,
    form_errors,
    form_status,
    policy,
    roles_required,
    today,
)

bp = Blueprint("accounts", __name__)

NAV = [
    NavItem("accounts.admin_home", N_("Beheer"), (Role.admin,), 10),
    NavItem("accounts.caregroup_home", N_("Praktijken"), (Role.caregroup,), 10),
]

PENDING = "mfa_pending_user"
PENDING_AT = "mfa_pending_at"
LOGIN_AT = "login_at"
ENROL_SECRET = "mfa_enrol_secret"


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


def _new_session() -> None:
    """A new session (no session fixation) that keeps only the language choice: a person who
    chose English on the login page keeps it through the second step."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _finish_login(user: User):
    _new_session()
    session.permanent = True
    session[LOGIN_AT] = int(time.time())
    login_user(user)
    return redirect(url_for(HOME_BY_ROLE[user.role]))


def _throttled(scope: str, account: object) -> bool:
    address = request.remote_addr or ""
    return throttle.blocked(get_session(), scope, address=address, account=account, now=utcnow())


def _failed(scope: str, account: object) -> None:
    address = request.remote_addr or ""
    throttle.record_failure(get_session(), scope, address=address, account=account, now=utcnow())


def _too_many(scope: str, template: str, form):
    """Refused before the credentials are checked, and not audited again: guessing from one
    address or at one account must not flood the log."""
    minutes = throttle.retry_minutes(scope)
    flash(_(throttle.E_THROTTLED, minutes=minutes), "error")
    page = render_template(template, form=form)
    return page, 429, {"Retry-After": str(minutes * 60)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        if _throttled("login", form.email.data):
            return _too_many("login", "accounts/login.html", form)
        try:
            result = services.authenticate(
                db,
                policy(),
                email=form.email.data,
                password=form.password.data,
                client_address=request.remote_addr or "",
            )
        except ValidationError as error:
            _failed("login", form.email.data)
            flash(error_text(error), "error")
            return render_template("accounts/login.html", form=form), 200
        if result.next_step == services.LoginStep.done:
            return _finish_login(result.user)
        _new_session()
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
        if _throttled("totp", user.id):
            return _too_many("totp", "accounts/totp.html", form)
        try:
            services.verify_totp(
                get_session(),
                policy(),
                user,
                form.code.data,
                client_address=request.remote_addr or "",
            )
        except ValidationError as error:
            _failed("totp", user.id)
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
    _new_session()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/activeren", methods=["GET", "POST"])
def activate():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = ActivateForm()
    if form.validate_on_submit():
        if _throttled("activate", form.email.data):
            return _too_many("activate", "accounts/activate.html", form)
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
            _failed("activate", form.email.data)
            form_errors(form, error)
        else:
            flash(_("Welkom! Uw account is klaar."), "success")
            return _finish_login(user)
    return render_template("accounts/activate.html", form=form), form_status()


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

    rows = practice_overview(get_session(), current_actor(), today=today())
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
    return render_template(
        "accounts/admin_form.html", form=form, title=_("Nieuwe zorggroep")
    ), form_status()


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
                phone=form.phone.data or "",
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Praktijk aangemaakt."), "success")
            return redirect(url_for("accounts.admin_home"))
    return render_template(
        "accounts/admin_form.html", form=form, title=_("Nieuwe praktijk")
    ), form_status()


@bp.route("/beheer/praktijken/<int:practice_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_edit_practice(practice_id: int):
    db = get_session()
    practice = practices.get_practice(db, current_actor(), practice_id)
    form = PracticeEditForm(obj=practice if request.method == "GET" else None)
    if request.method == "GET":
        form.agb_code.data = practice.agb_code or ""
    if form.validate_on_submit():
        data = practices.PracticeInput(
            name=form.name.data or "",
            city=form.city.data or "",
            agb_code=form.agb_code.data or "",
            phone=form.phone.data or "",
        )
        try:
            practices.update_practice(
                db, current_actor(), practice_id, data, version=form.version.number or 0
            )
        except Conflict as error:
            flash(error_text(error), "error")
            # Keep what was typed; show what is saved now, and save over that version.
            form.version.data = str(practice.version)
            saved = [
                (form.name.label.text, practice.name),
                (form.city.label.text, practice.city),
                (form.agb_code.label.text, practice.agb_code or ""),
                (form.phone.label.text, practice.phone),
            ]
            return render_template(
                "accounts/admin_form.html",
                form=form,
                saved=saved,
                title=_("Praktijk %(name)s wijzigen", name=practice.name),
            ), 409
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("De gegevens van de praktijk zijn opgeslagen."), "success")
            return redirect(url_for("accounts.admin_home"))
    return render_template(
        "accounts/admin_form.html",
        form=form,
        title=_("Praktijk %(name)s wijzigen", name=practice.name),
    ), form_status()


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
    return render_template(
        "accounts/admin_form.html", form=form, title=_("Nieuwe gebruiker")
    ), form_status()


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


# Its own path: a POST with an out-of-range id must answer 404, not the GET route's 405.
@bp.post("/beheer/gebruikers/<int:user_id>/praktijken/toevoegen")
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


# --- API tokens of the signed-in user -----------------------------------------------------------

API_TOKEN_SHOWN = "api_token_shown"
SCOPE_LABELS = {
    tokens.SCOPE_PATIENT_READ: N_("Mijn dossier lezen (patient/*.read)"),
    tokens.SCOPE_USER_READ: N_("Lezen wat ik mag zien (user/*.read)"),
    tokens.SCOPE_USER_WRITE: N_("Schrijven en importeren (user/*.write)"),
}


def _token_page(form: ApiTokenForm, status: int = 200):
    db = get_session()
    actor = current_actor()
    return render_template(
        "accounts/api_tokens.html",
        form=form,
        revoke_form=RevokeForm(),
        rows=tokens.api_tokens_of(db, actor),
        now=utcnow(),
        shown_token=session.pop(API_TOKEN_SHOWN, None),
    ), status


def _token_form() -> ApiTokenForm:
    form = ApiTokenForm()
    form.scopes.choices = [
        (s, _(SCOPE_LABELS[s])) for s in tokens.allowed_scopes(current_user._get_current_object())
    ]
    return form


@bp.route("/api-tokens", methods=["GET", "POST"])
@roles_required(Role.patient, Role.professional)
def api_tokens():
    """The signed-in user's own tokens for the FHIR API: make one, see last use, revoke."""
    form = _token_form()
    if request.method == "GET":
        return _token_page(form)
    if form.validate_on_submit():
        try:
            token, _row = tokens.create_api_token(
                get_session(),
                current_actor(),
                label=form.label.data,
                scopes=form.scopes.data or [],
                days=form.days.data,
                now=utcnow(),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            session[API_TOKEN_SHOWN] = token  # shown once on the next page; only the hash is kept
            return redirect(url_for("accounts.api_tokens"))
    return _token_page(form, 400)


@bp.post("/api-tokens/<int:token_id>/intrekken")
@roles_required(Role.patient, Role.professional)
def revoke_api_token(token_id: int):
    if RevokeForm().validate_on_submit():
        tokens.revoke_api_token(get_session(), current_actor(), token_id, now=utcnow())
        flash(_("Het token werkt niet meer."), "success")
    return redirect(url_for("accounts.api_tokens"))


# --- staff accounts: edit, deactivate, reactivate, reset code (administrators) ----------------

STAFF_CODE_SHOWN = "staff_reset_code_shown"


def _user_form(form: UserEditForm) -> UserEditForm:
    db = get_session()
    form.practice_id.choices = [(0, "—")] + [(p.id, p.name) for p in services.list_practices(db)]
    form.care_group_id.choices = [(0, "—")] + [
        (g.id, g.name) for g in services.list_care_groups(db)
    ]
    return form


def _user_page(user: User, form: UserEditForm, status: int = 200):
    return render_template(
        "accounts/admin_user.html",
        user=user,
        form=form,
        confirm_form=ConfirmForm(formdata=None),
        reset_form=StaffResetForm(formdata=None),
        is_self=user.id == current_user.id,
        shown_code=session.pop(STAFF_CODE_SHOWN, None),
    ), status


@bp.route("/beheer/gebruikers/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_edit_user(user_id: int):
    """Correct a staff account's name, e-mail, role and home practice or care group."""
    db = get_session()
    user = admin_users.get_staff_user(db, current_actor(), user_id)
    if request.method == "GET":
        form = _user_form(UserEditForm(obj=user))
        form.practice_id.data = user.practice_id or 0
        form.care_group_id.data = user.care_group_id or 0
        form.discipline.data = str(user.discipline or "")
        form.version.data = str(user.version)
        return _user_page(user, form)
    form = _user_form(UserEditForm())
    if form.validate_on_submit():
        data = admin_users.UserInput(
            name=form.name.data or "",
            email=form.email.data or "",
            role=form.role.data or "",
            discipline=form.discipline.data or None,
            practice_id=form.practice_id.data or None,
            care_group_id=form.care_group_id.data or None,
        )
        try:
            admin_users.update_user(db, current_actor(), user_id, data, version=form.version.number)
        except Conflict as error:
            flash(error_text(error), "error")
            form.version.data = str(error.current.version)  # the next save replaces it knowingly
            return _user_page(user, form, 409)
        except ValidationError as error:
            form_errors(form, error)
        else:
            flash(_("Gebruiker opgeslagen."), "success")
            return redirect(url_for("accounts.admin_edit_user", user_id=user_id))
    else:
        for name in ("practice_id", "care_group_id"):
            if getattr(form, name).errors:  # not a number
                getattr(form, name).errors = [_("Kies uit de lijst.")]
    return _user_page(user, form, 400)


def _one_button(form_class=ConfirmForm) -> bool:
    """A valid CSRF token on a one-button form; without it the action is refused (400)."""
    return form_class().validate_on_submit()


@bp.post("/beheer/gebruikers/<int:user_id>/uitschakelen")
@roles_required(Role.admin)
def admin_deactivate_user(user_id: int):
    if not _one_button():
        abort(400)
    try:
        admin_users.deactivate_user(get_session(), current_actor(), user_id, now=utcnow())
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        flash(
            _(
                "Account uitgeschakeld. De gebruiker is overal uitgelogd en API-tokens werken "
                "niet meer."
            ),
            "success",
        )
    return redirect(url_for("accounts.admin_edit_user", user_id=user_id))


@bp.post("/beheer/gebruikers/<int:user_id>/inschakelen")
@roles_required(Role.admin)
def admin_reactivate_user(user_id: int):
    if not _one_button():
        abort(400)
    try:
        admin_users.reactivate_user(get_session(), current_actor(), user_id)
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        flash(
            _("Account weer ingeschakeld. De gebruiker logt in met het eigen wachtwoord."),
            "success",
        )
    return redirect(url_for("accounts.admin_edit_user", user_id=user_id))


@bp.post("/beheer/gebruikers/<int:user_id>/herstelcode")
@roles_required(Role.admin)
def admin_reset_code(user_id: int):
    """A single-use code with which the staff member sets a new password."""
    form = StaffResetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        code, _row = resets.issue_staff_code(
            get_session(), current_actor(), user_id, with_totp=form.reset_totp.data, now=utcnow()
        )
    except ValidationError as error:
        flash(error_text(error), "error")
    else:
        session[STAFF_CODE_SHOWN] = code  # shown once on the next page; only its hash is kept
    return redirect(url_for("accounts.admin_edit_user", user_id=user_id))


# --- forgotten password: a code from the practice, or a link by e-mail --------------------------


def _outbox_on() -> bool:
    config = current_app.config
    return bool(config.get("MAIL_OUTBOX") and config.get("PUBLIC_BASE_URL"))


@bp.route("/wachtwoord-herstellen", methods=["GET", "POST"])
def reset_password():
    """Set a new password with the reset code from the practice (or the administrator)."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = ResetCodeForm()
    template = "accounts/reset_code.html"
    if form.validate_on_submit():
        if _throttled("reset", form.code.data):
            return _too_many("reset", template, form)
        try:
            user = resets.reset_with_code(
                get_session(),
                policy(),
                code=form.code.data,
                password=form.password.data,
                client_address=request.remote_addr or "",
                now=utcnow(),
            )
        except ValidationError as error:
            if error.field == "code":
                _failed("reset", form.code.data)
            form_errors(form, error)
        else:
            return render_template("accounts/reset_done.html", email=user.email)
    return render_template(template, form=form, outbox=_outbox_on()), form_status()


def _reset_mail(user: User, token: str) -> tuple[str, str]:
    """The reset e-mail in the user's own language."""
    with force_locale(user.locale or "nl"):
        # The configured address, not the Host header of the request (which anyone sets).
        base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        link = base + url_for("accounts.reset_link", token=token)
        subject = _("Nieuw wachtwoord voor Zelfzorg")
        body = _(
            "Goedendag %(name)s,\n\nU vroeg om een nieuw wachtwoord. Kies het via deze link "
            "(een uur geldig, werkt één keer):\n\n%(link)s\n\nVroeg u dit niet? Dan kunt u "
            "deze e-mail negeren; uw wachtwoord blijft hetzelfde.",
            name=user.name,
            link=link,
        )
    return subject, body


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link by e-mail. The answer is the same whether an account exists."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    form = ForgotPasswordForm()
    template = "accounts/forgot.html"
    if _outbox_on() and form.validate_on_submit():
        db = get_session()
        if _throttled("reset_mail", form.email.data):
            return _too_many("reset_mail", template, form)
        # Every request counts toward the limits, found or not.
        _failed("reset_mail", form.email.data)
        resets.request_link(
            db,
            email=form.email.data,
            make_message=_reset_mail,
            client_address=request.remote_addr or "",
            now=utcnow(),
        )
        flash(
            _(
                "Als er een account met dit e-mailadres is, krijgt u binnen enkele minuten een "
                "e-mail met een link. Kijk ook in uw map met ongewenste e-mail."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    # Without the outbox there is no form: the page says to ask the practice.
    status = form_status() if _outbox_on() else 200
    return render_template(template, form=form, outbox=_outbox_on()), status


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_link(token: str):
    """Choose a new password from the e-mailed link (an hour, once)."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.index"))
    db = get_session()
    form = NewPasswordForm()
    template = "accounts/reset_link.html"
    if request.method == "POST" and _throttled("reset", token):
        return _too_many("reset", template, form)
    if not resets.link_is_valid(db, token, now=utcnow()):
        if request.method == "POST":
            _failed("reset", token)
        return render_template(template, form=form, valid=False), 404
    if form.validate_on_submit():
        try:
            user = resets.reset_with_link(
                db,
                policy(),
                token=token,
                password=form.password.data,
                client_address=request.remote_addr or "",
                now=utcnow(),
            )
        except ValidationError as error:
            form_errors(form, error)
        else:
            return render_template("accounts/reset_done.html", email=user.email)
    return render_template(template, form=form, valid=True), form_status()
