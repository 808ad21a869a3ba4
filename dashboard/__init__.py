"""The Dash dashboard, mounted at /dashboard/ inside the Flask app factory.

Pages are routed by one callback on the URL's path (a ``dcc.Location`` plus a router) rather
than Dash's global pages registry, because tests build many apps in one process. Every Dash
route needs a logged-in session: backend/auth/principal.py redirects pages to /login and answers
401 on ``/_dash-*``; here API keys are refused as well (the dashboard is for people). Dash's
component suites (static JavaScript shipped with the Python packages) need the session too.
"""
from __future__ import annotations

import re
from pathlib import Path

from dash import Dash, Input, Output, State, dcc, html
from dash.exceptions import DependencyException
from flask import Flask, g, redirect, request
from flask_login import current_user

from backend import read_models as rm
from backend.database import mark_read_only_posts
from backend.errors import problem
from backend.i18n import _, current_locale
from backend.tenancy import get_principal
from backend.vendor import BOOTSTRAP_CSS_URL

from . import bundles, ids

BASE = "/dashboard/"
CSRF_COOKIE = "_csrf_token"  # the name dash-renderer reads and sends back as X-CSRFToken
COMPANY_PATH = re.compile(r"^/dashboard/company/([^/]+)(/strategy|/listening)?/?$")


class Dashboard(Dash):
    """Dash whose page HTML carries only the scripts that page uses (dashboard/bundles.py)."""

    plotly_src = ""

    def interpolate_index(self, metas="", title="", css="", config="", scripts="", app_entry="",
                          favicon="", renderer=""):
        kind = bundles.page_kind(request.path, BASE)
        scripts = bundles.select_scripts(scripts, kind, self.plotly_src)
        preloads = bundles.preload_links(kind, f"{BASE}_dash-component-suites/")
        css = "\n".join(part for part in (css, preloads) if part)
        page = super().interpolate_index(metas=metas, title=title, css=css, config=config, scripts=scripts,
                                         app_entry=app_entry, favicon=favicon, renderer=renderer)
        return page.replace("<html>", f'<html lang="{current_locale()}">', 1)


def init_dashboard(server: Flask) -> Dash:
    """Create the dashboard on ``server`` and return the Dash app."""
    assets = Path(__file__).resolve().parent / "assets"
    dash_app = Dashboard(
        "dashboard",
        server=server,  # type: ignore[arg-type]  # a Flask app, as documented (Dash types it bool | Callable)
        url_base_pathname=BASE,
        serve_locally=True,
        assets_folder=str(assets),
        assets_path_ignore=bundles.ASSETS_PATH_IGNORE,
        external_stylesheets=[BOOTSTRAP_CSS_URL],
        suppress_callback_exceptions=True,
        title="Reachboard",
        update_title=None,  # type: ignore[arg-type]  # documented: None keeps the title (typed str)
        compress=False,
    )
    plotly_mtime = int((assets / bundles.PLOTLY_ASSET).stat().st_mtime)
    dash_app.plotly_src = f"{dash_app.get_asset_url(bundles.PLOTLY_ASSET)}?m={plotly_mtime}"
    dash_app.layout = serve_layout
    _protect(server)
    # Callbacks only read (pages lay out read models): no write lock for them on SQLite.
    mark_read_only_posts(server, f"{BASE}_dash-update-component")

    from .pages import common, company, listening, portfolio

    dash_app.callback(
        Output(ids.PAGE, "children"),
        Input(ids.URL, "pathname"),
        State(ids.URL, "search"),
    )(route)
    portfolio.register(dash_app)
    company.register(dash_app)
    listening.register(dash_app)
    common.register_navbar(dash_app)
    server.extensions["reachboard_dashboard"] = dash_app
    return dash_app


def serve_layout():
    """The shell, built per request: the URL and the page slot the router fills."""
    return html.Div([
        dcc.Location(id=ids.URL, refresh=False),
        html.Div(id=ids.PAGE, className="rb-page", children=html.Div(_("Loading…"), className="p-4 text-muted")),
    ])


def route(pathname: str | None, search: str | None):
    """Render the page for a path. The tenant comes from the session, never from the browser."""
    from .pages import chooser, common, company, listening, portfolio, strategy

    path = pathname or BASE
    if path.rstrip("/") == BASE.rstrip("/"):
        if common.is_staff():
            return portfolio.layout(search)
        companies = rm.reachable_companies()
        if len(companies) == 1:
            return company.layout(companies[0], search)
        return chooser.layout(companies)
    match = COMPANY_PATH.match(path)
    if not match:
        return common.not_found()
    try:
        row = rm.company(match.group(1))
    except rm.NotFound:
        return common.not_found()
    if match.group(2) == "/listening":
        return listening.layout(row, search, _topojson_url())
    if match.group(2):
        return strategy.layout(row)
    return company.layout(row, search)


def _topojson_url() -> str:
    """Where the Listening page's map finds Plotly's world topojson: the app's own assets."""
    from flask import current_app

    from .listening_figures import TOPOJSON_FOLDER

    return current_app.extensions["reachboard_dashboard"].get_asset_url(TOPOJSON_FOLDER)


def _protect(server: Flask) -> None:
    @server.before_request
    def _dashboard_needs_a_session():
        if not request.path.startswith(BASE):
            return None
        if g.get("auth_kind") == "api_key":
            return problem(401, "Unauthorized",
                           "The dashboard is for people: log in at /login. API keys work under /api/ only.")
        principal = get_principal()
        if (request.method == "GET" and request.path == BASE and principal is not None
                and not principal.is_staff and principal.company_ids is not None
                and len(principal.company_ids) == 1):
            # A client viewer's home is their company's page.
            (only,) = principal.company_ids
            return redirect(f"{BASE}company/{only}")
        return None

    @server.errorhandler(DependencyException)
    def _no_such_component_file(_err):
        """Dash raises this for a component-suite path it does not serve: a 404, not a 500."""
        return problem(404, "Not found", "There is no such dashboard file.")

    @server.after_request
    def _csrf_cookie(response):
        """Give dash-renderer the CSRF token it sends back as X-CSRFToken on callbacks."""
        if (request.path.startswith(BASE) and request.method == "GET" and response.mimetype == "text/html"
                and current_user.is_authenticated and server.config.get("WTF_CSRF_ENABLED", True)):
            from flask_wtf.csrf import generate_csrf

            response.set_cookie(CSRF_COOKIE, generate_csrf(), path=BASE, httponly=False, samesite="Lax",
                                secure=bool(server.config.get("SESSION_COOKIE_SECURE")))
        return response
