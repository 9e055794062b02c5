"""What the app builds once per process (issue 12: per-request overhead) is kept per language
and per role: the menu (links and words), the catalog the templates translate with and
WTForms' own messages. A page in Dutch after one in English (and the other way round), and
a POH's menu after a patient's, show their own words."""

from __future__ import annotations

import re

from flask_babel import force_locale
from wtforms import StringField
from wtforms.validators import InputRequired

from zelfzorg.accounts.models import Role
from zelfzorg.formfields import Form, wtforms_catalog
from zelfzorg.web import nav_links

NAV = re.compile(r'<ul class="nav">(.*?)</ul>', re.S)


def menu(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    found = NAV.findall(response.get_data(as_text=True))
    assert len(found) == 2  # the wide menu and the compact one: the same links
    assert found[0] == found[1]
    return found[0]


def use_language(db, user, lang: str | None) -> None:
    user.locale = lang
    db.add(user)
    db.commit()


def test_menu_and_page_words_follow_each_readers_language(db, world, login):
    use_language(db, world.patient_user, "en")
    use_language(db, world.other_patient_user, "nl")
    english, dutch = login(world.patient_user), login(world.other_patient_user)
    for _ in range(2):  # the second round is served from what the first one built
        en_menu, nl_menu = menu(english, "/mijn/plan"), menu(dutch, "/mijn/plan")
        assert "My plan" in en_menu and "Mijn plan" not in en_menu
        assert "Mijn plan" in nl_menu and "My plan" not in nl_menu
        en_page = english.get("/mijn/plan").get_data(as_text=True)
        nl_page = dutch.get("/mijn/plan").get_data(as_text=True)
        assert "Log out" in en_page and "Uitloggen" not in en_page
        assert "Uitloggen" in nl_page and "Log out" not in nl_page


def test_the_menu_is_built_per_role(db, world, login):
    patient, poh = login(world.patient_user), login(world.poh)
    for _ in range(2):
        patient_menu, poh_menu = menu(patient, "/mijn/plan"), menu(poh, "/werklijst")
        assert "Mijn plan" in patient_menu and "Werklijst" not in patient_menu
        assert "Werklijst" in poh_menu and "Mijn plan" not in poh_menu
        # Only the open page is marked, whatever was cached.
        assert patient_menu.count('aria-current="page"') == 1
        assert re.search(r'href="/mijn/plan"\s+aria-current="page"', patient_menu)
        assert re.search(r'href="/werklijst"\s+aria-current="page"', poh_menu)


def test_cached_menus_are_kept_per_role_and_language(app, world):
    for lang, words in (("nl", "Mijn plan"), ("en", "My plan"), ("nl", "Mijn plan")):
        with app.test_request_context("/"):
            with force_locale(lang):
                patient = nav_links(Role.patient)
                staff = nav_links(Role.professional)
        assert words in [link.text for link in patient]
        assert not {link.endpoint for link in patient} & {"worklist.index"}
        assert "worklist.index" in {link.endpoint for link in staff}


def test_wtforms_messages_per_language(app):
    class Required(Form):
        name = StringField(validators=[InputRequired()])

    app.config["WTF_CSRF_ENABLED"] = False
    try:
        seen = {}
        for lang in ("nl", "en", "nl"):
            with app.test_request_context("/", method="POST", data={"name": ""}):
                with force_locale(lang):
                    form = Required()
                    assert not form.validate()
                    seen.setdefault(lang, set()).add(form.name.errors[0])
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert seen["en"] == {"This field is required."}
    assert len(seen["nl"]) == 1 and seen["nl"] != seen["en"]
    assert wtforms_catalog("nl") is wtforms_catalog("nl")  # read once per process


def test_template_texts_are_kept_per_language_and_escaped_as_jinja_does(app):
    """The templates' ``_`` keeps a text without variables per catalog (one per language);
    with variables it formats each time, escaping the values; outside autoescaping it gives
    plain text; ``%%`` reads as ``%`` as Jinja's newstyle gettext has it."""
    source = (
        '{{ _("Uitloggen") }}|{{ _("Aangepast door %(name)s op %(when)s.", name=who, when=1) }}'
        '|{{ gettext("100%% zeker") }}'
    )
    with app.test_request_context("/"):
        template = app.jinja_env.from_string(source)
        for _ in range(2):  # the second round from what the first kept
            with force_locale("en"):
                english = template.render(who="<b>Ann</b>")
            with force_locale("nl"):
                dutch = template.render(who="<b>Jan</b>")
            assert english.startswith("Log out|") and "&lt;b&gt;Ann&lt;/b&gt;" in english
            assert dutch.startswith("Uitloggen|") and "&lt;b&gt;Jan&lt;/b&gt;" in dutch
            assert "Ann" not in dutch and "Jan" not in english
            assert english.endswith("|100% zeker") and dutch.endswith("|100% zeker")
        plain = app.jinja_env.overlay(autoescape=False).from_string(
            '{{ _("Aangepast door %(name)s op %(when)s.", name=who, when=1) }}'
        )
        with force_locale("nl"):
            assert plain.render(who="<b>Jan</b>") == "Aangepast door <b>Jan</b> op 1."


def test_lazy_labels_follow_the_language_they_are_shown_in(app):
    """Form and choice labels (``zelfzorg.lazytext``) translate when shown, in the reader's
    language of that moment; outside a request they are their Dutch message."""
    from zelfzorg.lazytext import lazy_gettext

    label = lazy_gettext("Uitloggen")
    assert str(label) == "Uitloggen"
    with app.test_request_context("/"):
        for _ in range(2):
            with force_locale("en"):
                assert str(label) == "Log out"
            with force_locale("nl"):
                assert str(label) == "Uitloggen"
    with_name = lazy_gettext("Aangepast door %(name)s op %(when)s.", name="Ann", when="1 dec")
    with app.test_request_context("/"), force_locale("nl"):
        assert str(with_name) == "Aangepast door Ann op 1 dec."
