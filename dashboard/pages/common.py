"""Pieces shared by every page: the navigation bar, the not-found view, small helpers."""
from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from backend.i18n import LOCALES, _, current_locale, ngettext
from backend.tenancy import get_principal

BASE = "/dashboard/"


def html_attributes(values: dict[str, str]) -> dict[str, Any]:
    """``data-*`` attributes for a component, as ``**html_attributes({...})``: Dash passes any such
    keyword on to the page, but its typed signatures name only the component's own properties."""
    return values


def company_url(company_id, strategy: bool = False) -> str:
    return f"{BASE}company/{company_id}" + ("/strategy" if strategy else "")


def reports_url(company_id) -> str:
    """The company's sent reports (backend/client_reports.py), for its people."""
    return f"/companies/{company_id}/reports"


def is_staff() -> bool:
    principal = get_principal()
    return principal is not None and principal.is_staff


def navbar(company=None, active: str = "") -> html.Header:
    links = []
    if is_staff():
        links.append(dbc.NavItem(dbc.NavLink(_("Portfolio"), href=BASE, active=active == "portfolio",
                                             external_link=True)))
    if company is not None:
        links.append(dbc.NavItem(dbc.NavLink(company.name, href=company_url(company.id),
                                             active=active == "company", external_link=True)))
        links.append(dbc.NavItem(dbc.NavLink(_("Strategy"), href=company_url(company.id, True),
                                             active=active == "strategy", external_link=True)))
        links.append(dbc.NavItem(dbc.NavLink(_("Listening"), href=company_url(company.id) + "/listening",
                                             active=active == "listening", external_link=True,
                                             id="rb-listening-link")))
        links.append(dbc.NavItem(dbc.NavLink(_("Reports"), href=reports_url(company.id), external_link=True,
                                             id="rb-reports-link")))
    if is_staff():  # the agency admin pages (backend/admin); client viewers get no link
        links.append(dbc.NavItem(dbc.NavLink(
            _("Manage"), href=f"/manage/companies/{company.id}" if company is not None else "/manage/companies",
            external_link=True, id="rb-manage-link")))
    links.append(dbc.NavItem(alert_bell()))
    who = getattr(current_user, "email", "")
    brand, color, dark = agency_brand()
    # Below 768 px the links fold under a menu button (toggled in the browser, see register_navbar).
    return html.Header(dbc.Navbar(dbc.Container([
        brand,
        dbc.NavbarToggler([html.Span(className="navbar-toggler-icon"),
                           html.Span(_("Menu"), className="visually-hidden")], id=NAV_TOGGLE, n_clicks=0),
        dbc.Collapse([
            dbc.Nav(links, navbar=True, className="me-auto"),
            dbc.Nav([language_menu()], navbar=True, className="me-md-2"),
            html.A(who, href="/account", title=_("Your account"), id="rb-account-link",
                   className="navbar-text small me-md-3 text-decoration-none text-truncate"),
            logout_form(),
        ], id=NAV_COLLAPSE, is_open=False, navbar=True),
    ], fluid=True), color=color, dark=dark, expand="md", className="mb-3 py-2", id="rb-navbar"))


def agency_brand() -> tuple[html.A, str, bool]:
    """The navbar's brand link, colour and whether its text is light: the agency's logo and
    primary colour when it has set them (backend/services/branding.py), else Reachboard's."""
    from backend.read_models.branding import agency_branding

    branding = agency_branding()
    if branding is None or not (branding.logo_url or branding.primary_color):
        return html.A("Reachboard", href=BASE, className="navbar-brand fw-semibold"), "dark", True
    content: list[Any] = [html.Img(src=branding.logo_url, alt=branding.display_name, height=32,
                                   className="me-2", id="rb-agency-logo")] if branding.logo_url else []
    content.append(html.Span(branding.display_name, className="fw-semibold"))
    color = branding.primary_color or "dark"
    brand = html.A(content, href=BASE, className="navbar-brand d-flex align-items-center")
    return brand, color, not branding.light_color


def alert_bell() -> html.A:
    """The bell: the person's unread alerts, linking to their alert list (backend/alert_pages.py)."""
    from backend.read_models.alerts import unread_count

    n = unread_count() if get_principal() is not None else 0
    badge: list[Any] = [" ", html.Span(str(n), className="badge rounded-pill text-bg-danger",
                            **html_attributes({"data-testid": "alert-count"}))] if n else []
    return html.A([html.Img(src="/static/bell.svg", alt="", width=16, height=16, className="rb-bell-icon"),
                   " ", _("Alerts"), *badge],
                  href=ALERTS_URL, id="rb-bell", className="nav-link rb-bell",
                  title=ngettext("%(num)d unread alert", "%(num)d unread alerts", n),
                  **html_attributes({"data-unread": str(n)}))


ALERTS_URL = "/alerts"
NAV_TOGGLE, NAV_COLLAPSE = "rb-nav-toggle", "rb-nav-collapse"


def register_navbar(dash_app) -> None:
    """The menu button opens and closes the folded links, in the browser (no request)."""
    from dash import ClientsideFunction, Input, Output, State

    dash_app.clientside_callback(
        ClientsideFunction(namespace="reachboard", function_name="toggle"),
        Output(NAV_COLLAPSE, "is_open"),
        Input(NAV_TOGGLE, "n_clicks"),
        State(NAV_COLLAPSE, "is_open"),
        prevent_initial_call=True,
    )


def logout_form() -> html.Form:
    """Logging out is a POST with the CSRF token, so another site cannot log anyone out."""
    from flask_wtf.csrf import generate_csrf

    return html.Form([
        dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
        html.Button(_("Log out"), type="submit", className="btn btn-sm btn-outline-light", id="rb-logout"),
    ], method="POST", action="/logout", className="m-0")


def language_menu() -> dbc.DropdownMenu:
    """The languages, each named in its own; choosing one saves it on the person (a POST with the
    CSRF token to /account/language, which returns to this page) and it holds across logins."""
    from flask_wtf.csrf import generate_csrf

    here = current_locale()
    choices = [html.Button(name, type="submit", name="locale", value=code, lang=code,
                           className="dropdown-item" + (" active" if code == here else ""),
                           id=f"rb-locale-{code}") for code, name in LOCALES.items()]
    form = html.Form([dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()), *choices],
                     method="POST", action="/account/language", className="m-0")
    return dbc.DropdownMenu([form], label=LOCALES.get(here, here), nav=True, in_navbar=True, align_end=True,
                            id="rb-language", toggle_class_name="rb-language-toggle")


def not_found(message: str | None = None) -> html.Div:
    """Shown for unknown pages and for companies out of reach: no data, no hint which."""
    return html.Div([
        navbar(),
        dbc.Container(html.Section([
            html.H1(_("Not found"), className="h3"),
            html.P(message or _("There is no such page, or you do not have access to it.")),
            html.A(_("Back to the start"), href=BASE, className="btn btn-primary"),
        ], className="rb-panel py-5", id="rb-not-found"), fluid=True),
    ])


def page(company, active: str, *children) -> html.Div:
    return html.Div([navbar(company, active), dbc.Container(list(children), fluid=True, className="pb-4")])
