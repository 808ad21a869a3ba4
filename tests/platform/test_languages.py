"""Languages (backend/i18n.py, issue 15): which locale a request gets, the language menu that
saves a person's choice across logins, unknown codes that fall back to English without an error,
and the locale's numbers, dates, first weekday and plural forms."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import PASSWORD, login
from sqlalchemy import select

NBSP = "\u00a0"


def _h1(response) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S).group(1).strip()


def _lang(response) -> str:
    return re.search(r'<html lang="([\w-]+)"', response.get_data(as_text=True)).group(1)


@pytest.mark.no_db
@pytest.mark.parametrize(("header", "locale", "title"), [
    ("sv-SE,sv;q=0.9,en;q=0.5", "sv", "Logga in"),
    ("nb-NO", "nb", "Logg inn"),
    ("no", "nb", "Logg inn"),  # Norwegian without a written standard reads Bokmål
    ("de-DE,pl;q=0.8", "pl", "Zaloguj się"),  # the first of ours the browser accepts
    ("pl;q=0.2,sv;q=0.9", "sv", "Logga in"),  # by quality, not by order
    ("de-DE,fr", "en", "Log in"),
    ("x" * 300, "en", "Log in"),
    ("", "en", "Log in"),
])
def test_the_login_page_speaks_the_browsers_language(client, header, locale, title):
    response = client.get("/login", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 200
    assert (_lang(response), _h1(response)) == (locale, title)


@pytest.mark.no_db
def test_lang_in_the_query_wins_and_an_unknown_one_is_english_without_an_error(app, client):
    assert _h1(app.test_client().get("/login?lang=pl", headers={"Accept-Language": "sv"})) == "Zaloguj się"
    for bad in ("zz", "sv'><script>", "", "../../etc", "en-US-x-" + "a" * 200):
        response = client.get("/login", query_string={"lang": bad})
        assert response.status_code == 200 and _h1(response) == "Log in"
    page = client.get("/login?lang=nb").get_data(as_text=True)
    assert re.search(r'href="\?lang=sv"[^>]*>Svenska</a>', page)  # the menu before logging in


@pytest.mark.no_db
def test_a_form_error_and_an_error_page_are_in_the_readers_language(client):
    response = client.post("/login", data={"email": "", "password": ""}, headers={"Accept-Language": "pl"})
    assert response.status_code == 422
    assert re.findall(r'rb-field-error">(.*?)<', response.get_data(as_text=True)) == [
        "Podaj swój adres e-mail.", "Podaj hasło."]
    response = client.get("/no-such-page", headers={"Accept-Language": "nb"})
    assert response.status_code == 404 and "404 — Ikke funnet" in response.get_data(as_text=True)
    assert "Siden finnes ikke" in response.get_data(as_text=True)


def test_the_chosen_language_is_saved_on_the_person_and_holds_across_logins(app, tenant, login_as):
    from backend.extensions import db
    from backend.models import User
    from backend.tenancy import cross_tenant

    owner = login_as(tenant, "owner")
    response = owner.post("/account/language", data={"locale": "sv", "next": "/account?lang=pl&tab=x"},
                          headers={"Accept-Language": "en"})
    assert response.status_code == 302 and response.headers["Location"] == "/account?tab=x"  # lang= dropped
    page = owner.get("/account", headers={"Accept-Language": "pl"})  # the choice beats the browser
    assert _h1(page) == "Ditt konto" and _lang(page) == "sv"
    assert "ägare" in page.get_data(as_text=True)  # the role, in Swedish
    owner.post("/logout")
    again = login(app.test_client(), tenant.emails["owner"])
    assert _h1(again.get("/account", headers={"Accept-Language": "nb"})) == "Ditt konto"
    with app.app_context(), cross_tenant("test: read the saved choice"):
        assert db.session.scalars(select(User.locale).where(User.id == tenant.users["owner"].id)).one() == "sv"
        # Nobody else's choice moved.
        assert db.session.scalars(select(User.locale).where(User.id == tenant.users["admin"].id)).one() is None


def test_an_unknown_choice_saves_english_and_an_outside_next_is_not_followed(app, tenant, login_as):
    viewer = login_as(tenant, "viewer")
    response = viewer.post("/account/language", data={"locale": "klingon", "next": "https://evil.test/x"},
                           headers={"Referer": "https://evil.test/y"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/"
    assert _h1(viewer.get("/account", headers={"Accept-Language": "sv"})) == "Your account"
    back = viewer.post("/account/language", data={"locale": "nb"}, headers={"Referer": "http://localhost/account"})
    assert back.headers["Location"] == "/account"


def test_choosing_a_language_needs_a_person(client, tenant):
    from conftest import ApiClient

    assert client.post("/account/language", data={"locale": "sv"}).status_code in (302, 401)
    api = ApiClient(client, tenant.keys["admin"])
    assert api.post("/account/language", data={"locale": "sv"}).status_code in (401, 403)


def test_without_a_choice_or_a_browser_match_the_agency_default_decides(app, tenant, login_as):
    from backend.extensions import db
    from backend.models import Agency
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test: the agency's default language"):
        db.session.get(Agency, tenant.agency_id).default_locale = "pl"
        db.session.commit()
    member = login_as(tenant, "member")
    assert _h1(member.get("/account", headers={"Accept-Language": "de"})) == "Twoje konto"
    assert _h1(member.get("/account", headers={"Accept-Language": "nb"})) == "Kontoen din"  # the browser first
    assert _h1(member.get("/account?lang=en", headers={"Accept-Language": "de"})) == "Your account"


def test_the_dashboard_navigation_bar_speaks_the_persons_language(app, tenant, login_as):
    from support.dash_calls import route, texts

    owner = login_as(tenant, "owner")
    owner.post("/account/language", data={"locale": "nb"})
    page = owner.get("/dashboard/")
    assert page.status_code == 200 and _lang(page) == "nb"
    text = texts(route(owner, "/dashboard/company/not-a-company"))
    assert all(word in text for word in ("Portef\\u00f8lje", "Logg ut", "Norsk bokm\\u00e5l", "Ikke funnet"))
    assert "Portfolio" not in text and "Log out" not in text


@pytest.mark.no_db
@pytest.mark.parametrize(("locale", "number", "compact", "date", "weekday"), [
    ("en", "12,345.6", "12.3K", "Mar 1, 2025", 0),
    ("sv", f"12{NBSP}345,6", f"12,3{NBSP}tn", "1 mars 2025", 0),
    ("nb", f"12{NBSP}345,6", "12,3k", "1. mars 2025", 0),
    ("pl", f"12{NBSP}345,6", f"12,3{NBSP}tys.", "1 mar 2025", 0),
])
def test_numbers_dates_and_the_first_weekday_follow_the_locale(app, locale, number, compact, date, weekday):
    from backend import i18n

    with app.test_request_context("/"), i18n.use_locale(locale):
        assert i18n.number(12345.6) == number
        assert i18n.compact(12345.6) == compact
        assert i18n.date(dt.date(2025, 3, 1)) == date
        assert i18n.first_weekday() == weekday  # Monday (CLDR), and ISO weeks are Monday-based
        assert i18n.current_locale() == locale


@pytest.mark.no_db
def test_polish_plurals_come_from_the_catalog(app):
    from backend import i18n

    with app.test_request_context("/"), i18n.use_locale("pl"):
        said = [i18n.ngettext("%(num)d unread alert", "%(num)d unread alerts", n) for n in (1, 2, 5, 22, 25)]
    assert said == ["1 nieprzeczytany alert", "2 nieprzeczytane alerty", "5 nieprzeczytanych alertów",
                    "22 nieprzeczytane alerty", "25 nieprzeczytanych alertów"]


@pytest.mark.no_db
def test_a_service_message_is_english_for_the_api_and_translated_on_a_page(app):
    from backend import i18n

    message = i18n.say("Use at least %(num)d characters.", num=10)
    assert message == "Use at least 10 characters." and isinstance(message, str)
    with app.test_request_context("/"), i18n.use_locale("sv"):
        assert i18n.translate(message) == "Använd minst 10 tecken."
        assert i18n.translate("Not in any catalog") == "Not in any catalog"
    with app.test_request_context("/"), i18n.use_locale("xx-such"):
        assert i18n.current_locale() == "en"


def test_the_api_stays_english_whatever_the_browser_asks(client, tenant):
    import uuid

    from conftest import ApiClient

    api = ApiClient(client, tenant.keys["admin"])
    missing = api.get(f"/api/v1/companies/{uuid.uuid4()}", headers={"Accept-Language": "sv"})
    assert missing.status_code == 404 and missing.json["title"] == "Not found"
    bad = api.post("/api/v1/companies", json={"name": ""}, headers={"Accept-Language": "pl"})
    assert bad.status_code == 422 and bad.json["title"] == "Validation failed"
    assert not re.search(r"[ąęłńóśźżåøæ]", bad.get_data(as_text=True))


def test_a_bad_password_message_on_the_set_password_page_is_translated(app, tenant, login_as):
    owner = login_as(tenant, "owner")
    owner.post("/account/language", data={"locale": "nb"})
    response = owner.post("/account/password", data={"current_password": PASSWORD, "password": "short",
                                                     "confirm": "short"})
    assert response.status_code == 422 and "Bruk minst 10 tegn." in response.get_data(as_text=True)


def test_the_agency_default_language_is_set_through_the_api_and_the_manage_page(app, tenant, login_as):
    from conftest import ApiClient

    admin = ApiClient(app.test_client(), tenant.keys["admin"])
    assert admin.get("/api/v1/agency").json["default_locale"] == "en"
    r = admin.patch("/api/v1/agency", json={"default_locale": "de", "name": "Never saved"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "default_locale"
    r = admin.patch("/api/v1/agency", json={"default_locale": "sv"})
    assert r.status_code == 200 and r.json["default_locale"] == "sv"
    assert admin.get("/api/v1/agency").json["name"] == tenant.name
    owner = login_as(tenant, "owner")
    page = owner.get("/manage/agency", headers={"Accept-Language": "de"})  # no choice, no match: the agency's
    assert _h1(page) == "Byråns inställningar" and '<option value="sv" selected>Svenska</option>' in page.get_data(
        as_text=True)
    r = owner.post("/manage/agency", data={"name": tenant.name, "mention_retention_months": "24",
                                           "default_locale": "klingon"})
    assert r.status_code == 422 and "is-invalid" in r.get_data(as_text=True)
    r = owner.post("/manage/agency", data={"name": tenant.name, "mention_retention_months": "", "default_locale": "pl"},
                   headers={"Accept-Language": "nb"})
    assert r.status_code == 422 and "Fyll ut dette feltet." in r.get_data(as_text=True)
    r = owner.post("/manage/agency",
                   data={"name": tenant.name, "mention_retention_months": "24", "default_locale": "nb"})
    assert r.status_code == 302 and admin.get("/api/v1/agency").json["default_locale"] == "nb"


def test_the_portfolio_speaks_polish_with_polish_plurals_dates_and_goal_statuses(app, tenant, login_as):
    from support.dash_calls import call, route, texts

    from dashboard import ids

    owner = login_as(tenant, "owner")
    owner.post("/account/language", data={"locale": "pl"})
    page = route(owner, "/dashboard/")
    grid = texts(page)
    grid = grid.replace("\\u00ad", "")  # the headers' soft hyphens (hyphenate)
    for word in ("Obserwuj\\u0105cy", "Zasi\\u0119g", "Wska\\u017anik zaanga\\u017cowania", "Poza kursem",
                 "Zagro\\u017cony", "Ostatnie 90 dni", "Wymaga uwagi"):
        assert word in grid, word
    assert "Followers" not in grid and "Off track" not in grid and "Needs attention" not in grid
    out = call(owner, "rb-portfolio-grid.rowData", {f"{ids.PORTFOLIO_PRESET}.value": "30d",
                                                    f"{ids.PORTFOLIO_ATTENTION}.value": True})
    label = out[ids.PORTFOLIO_PERIOD]["children"]
    assert label.startswith("Zmiana liczby obserwuj\u0105cych")
    assert "Wymaga uwagi: 2 z 2 firm (" in label  # no data yet: both stale
    assert "3 dni" in label
    assert re.search(r"\d{1,2} (sty|lut|mar|kwi|maj|cze|lip|sie|wrz|pa\u017a|lis|gru) \d{4}", label)
    assert all(row["unanswered_title"] == "0 wzmianek jeszcze bez odpowiedzi" for row in
               call(owner, "rb-portfolio-grid.rowData", {f"{ids.PORTFOLIO_PRESET}.value": "30d",
                                                         f"{ids.PORTFOLIO_ATTENTION}.value": False})[
                   ids.PORTFOLIO_GRID]["rowData"])


@pytest.mark.no_db
def test_a_visitors_lang_choice_holds_for_the_next_page_before_logging_in(app):
    client = app.test_client()
    assert _h1(client.get("/login?lang=pl", headers={"Accept-Language": "sv"})) == "Zaloguj się"
    response = client.post("/login", data={"email": "", "password": ""}, headers={"Accept-Language": "sv"})
    assert "Podaj hasło." in response.get_data(as_text=True)  # the form's answer stays in Polish
    assert _h1(client.get("/login?lang=zz", headers={"Accept-Language": "sv"})) == "Zaloguj się"  # unknown: kept
    assert _h1(app.test_client().get("/login", headers={"Accept-Language": "sv"})) == "Logga in"  # another visitor


@pytest.mark.no_db
def test_grid_headers_get_soft_hyphens_by_the_locales_rules(app):
    from backend import i18n

    with app.test_request_context("/"):
        with i18n.use_locale("sv"):
            assert i18n.hyphenate("Förändring Mål") == "För\u00adänd\u00adring Mål"
        with i18n.use_locale("pl"):
            assert i18n.hyphenate("Nierozpoczęty").replace("\u00ad", "-") == "Nie-roz-po-czę-ty"


def test_the_agency_service_refuses_a_default_language_that_is_not_one_of_ours(app, tenant):
    from backend.services import agency
    from backend.services.errors import ValidationFailed
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        for bad in (["sv"], {"code": "sv"}, 7, None, "SV", "de"):
            with pytest.raises(ValidationFailed) as err:
                agency.update_agency({"default_locale": bad})
            assert err.value.errors[0]["field"] == "default_locale"
        assert agency.update_agency({"default_locale": "pl"}).default_locale == "pl"
