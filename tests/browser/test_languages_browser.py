"""Languages in Chromium (issue 15): the login page in the browser's language, the menu before
logging in, and a person's choice from the dashboard's navigation bar that holds across logins,
on a desktop and a phone. Screenshots: screenshots/languages-*.png."""
from __future__ import annotations

import pytest

from .conftest import do_login, new_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def owner_locale(live_server, demo):
    """The demo owner's saved language, put back to none afterwards (other tests read English)."""
    from sqlalchemy import update

    from backend.extensions import db
    from backend.models import User
    from backend.tenancy import cross_tenant

    def reset():
        with live_server.app.app_context(), cross_tenant("browser test: forget the owner's language"):
            db.session.execute(update(User).where(User.email == demo["email"]).values(locale=None))
            db.session.commit()

    reset()
    yield demo
    reset()


def test_the_login_page_follows_the_browser_and_its_menu_switches_language(browser, live_server, screenshot):
    context, page = new_page(browser, live_server, locale="sv-SE")
    try:
        page.goto("/login")
        assert page.locator("html").get_attribute("lang") == "sv"
        assert page.locator("h1").inner_text() == "Logga in"
        assert page.locator("label[for=password]").inner_text() == "Lösenord"
        page.click("#rb-language summary")
        screenshot(page, "languages-login-sv-menu", full_page=False)
        page.click("#rb-locale-pl")
        page.wait_for_url("**/login?lang=pl")
        assert page.locator("h1").inner_text() == "Zaloguj się"
        page.click(".rb-login button[type=submit]")  # empty: the messages next to the fields, in Polish
        assert page.locator(".rb-field-error").first.inner_text() == "Podaj swój adres e-mail."
        screenshot(page, "languages-login-pl-errors")
    finally:
        context.close()


def test_a_choice_in_the_navigation_bar_is_saved_and_holds_across_logins(browser, live_server, owner_locale,
                                                                        screenshot):
    context, page = new_page(browser, live_server)
    try:
        do_login(page, owner_locale["email"], owner_locale["password"])
        page.wait_for_selector("#rb-navbar")
        assert page.locator("#rb-navbar").get_by_text("Portfolio").count() == 1
        page.click(".rb-language-toggle")
        page.click("#rb-locale-sv")
        page.wait_for_selector("#rb-navbar >> text=Portfölj")
        assert page.locator("html").get_attribute("lang") == "sv"
        assert page.locator("#rb-logout").inner_text() == "Logga ut"
        screenshot(page, "languages-dashboard-sv", full_page=False)
        page.click("#rb-logout")
        page.wait_for_url("**/login")
        do_login(page, owner_locale["email"], owner_locale["password"])
        page.wait_for_selector("#rb-navbar >> text=Portfölj")  # the browser asks for en-GB: the choice wins
        page.goto("/account")
        assert page.locator("h1").inner_text() == "Ditt konto"
        page.goto("/manage/agency")
        assert page.locator("h1").inner_text() == "Byråns inställningar"
        page.fill("input[name=mention_retention_months]", "")
        page.click("form[action$='/manage/agency'] button[type=submit]")
        assert page.locator(".invalid-feedback").first.inner_text().strip() == "Fyll i det här fältet."
        screenshot(page, "languages-manage-agency-sv-errors")
    finally:
        context.close()


def test_on_a_phone_the_language_menu_sits_in_the_folded_navigation(browser, live_server, owner_locale, screenshot):
    context, page = new_page(browser, live_server, viewport=PHONE, locale="nb-NO")
    try:
        do_login(page, owner_locale["email"], owner_locale["password"])
        page.wait_for_selector("#rb-navbar")
        page.click("#rb-nav-toggle")
        page.wait_for_function("() => !document.querySelector('.collapsing')")  # unfolded
        page.click(".rb-language-toggle")
        page.wait_for_selector("#rb-locale-pl", state="visible")
        box = page.locator("#rb-locale-pl").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        screenshot(page, "languages-dashboard-phone-nb-menu", full_page=False)
        with page.expect_navigation():
            page.click("#rb-locale-pl")
        page.wait_for_selector("#rb-navbar")
        assert page.locator("html").get_attribute("lang") == "pl"
        page.goto("/account")
        assert page.locator("h1").inner_text() == "Twoje konto"
        screenshot(page, "languages-account-phone-pl")
    finally:
        context.close()


@pytest.mark.parametrize("locale", ["en-GB", "sv-SE", "nb-NO", "pl-PL"])
def test_the_portfolio_in_each_language_fits_its_headers_without_cutting_them(browser, live_server, owner_locale,
                                                                             screenshot, locale):
    context, page = new_page(browser, live_server, viewport={"width": 1440, "height": 900}, locale=locale)
    try:
        do_login(page, owner_locale["email"], owner_locale["password"])
        page.wait_for_selector("#rb-portfolio-grid .ag-row")
        assert page.locator("html").get_attribute("lang") == locale[:2]
        cut = page.evaluate("""() => [...document.querySelectorAll('#rb-portfolio-grid .ag-header-cell-text')]
            .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
            .map(e => e.textContent)""")
        assert cut == []
        screenshot(page, f"languages-portfolio-{locale[:2]}", full_page=False)
    finally:
        context.close()
