"""The portfolio (agency staff): every company of the agency in a sortable, filterable table."""
from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, dcc, html

from backend import read_models as rm
from backend.i18n import _, hyphenate, ngettext, translate
from backend.read_models import controls as ctl
from backend.tenancy import get_principal

from .. import ids, theme
from .common import company_url, not_found, page

PORTFOLIO_PRESETS = {k: v for k, v in ctl.PRESETS.items() if k != "custom"}
STALE_AFTER_DAYS = rm.STALE_AFTER_DAYS


def preset_from(search: str | None) -> str:
    preset = ctl.parse_query(search).preset
    return preset if preset in PORTFOLIO_PRESETS else ctl.DEFAULT_PRESET


def column_defs() -> list[dict]:
    """The grid's columns; their headers carry soft hyphens (narrow columns break long words at a
    syllable, in every language)."""
    return _hyphenated(_columns())


def _hyphenated(columns: list[dict]) -> list[dict]:
    return [{**c, "headerName": hyphenate(c["headerName"]),
             **({"children": _hyphenated(c["children"])} if "children" in c else {})} for c in columns]


def _columns() -> list[dict]:
    num = {"type": "numericColumn", "filter": "agNumberColumnFilter"}
    return [
        {"headerName": _("Company"), "field": "company", "cellRenderer": "markdown", "pinned": "left",
         "filter": "agTextColumnFilter", "width": 160, "minWidth": 130, "flex": 0, "sort": "asc"},
        {"headerName": _("Followers"), "field": "followers", **num, "minWidth": 84,
         "valueFormatter": {"function": "rbCompact(params.value)"}},
        {"headerName": _("Change"), "field": "followers_change", **num, "minWidth": 84,
         "valueFormatter": {"function": "rbSigned(params.value)"},
         "cellClassRules": {"rb-good": "params.value > 0", "rb-bad": "params.value < 0"}},
        {"headerName": _("Reach"), "field": "reach", **num, "minWidth": 84,
         "valueFormatter": {"function": "rbCompact(params.value)"}},
        {"headerName": _("Engagement rate"), "field": "engagement_rate", **num, "minWidth": 96,
         "valueFormatter": {"function": "rbPercent(params.value)"}},
        # One column per goal status, most in need of attention first: the counts add up.
        {"headerName": _("Goals"), "children": [
            {"headerName": translate(rm.STATUS_TERMS[status].label), "field": status, **num, "minWidth": 76,
             "flex": 0.6, "filter": False,  # sorted, not filtered: the most off-track companies first
             "cellClass": "rb-status-count", "headerTooltip": translate(rm.STATUS_TERMS[status].sentence),
             "cellStyle": {"color": theme.tone_colour(rm.STATUS_TERMS[status].tone), "fontWeight": 600}}
            for status in rm.ATTENTION_ORDER
        ]},
        {"headerName": _("Alerts"), "field": "open_alerts", **num, "minWidth": 64, "flex": 0.5, "filter": False,
         "headerTooltip": _("Open alerts: this company's alerts you have not read yet"),
         "cellClassRules": {"rb-bad": "params.value > 0"}},
        # Unanswered mentions: a click opens the company's Listening page (its inbox), not its page.
        # (dashboard_url.js openCompany; RbUnanswered draws the count as a link there too).
        {"headerName": _("Unanswered"), "field": "unanswered", **num, "minWidth": 72, "flex": 0.6, "filter": False,
         "cellRenderer": "RbUnanswered", "headerTooltip": _("Mentions not yet answered: opens the Listening page"),
         "cellClassRules": {"rb-bad": "params.value > 0"}},
        # ISO dates, typed into a plain box (the browser's picker would show mm/dd/yyyy).
        {"headerName": _("Latest data"), "field": "last_data_date", "filter": "agDateColumnFilter",
         "filterParams": {"browserDatePicker": False, "minValidYear": 2000, "maxValidYear": 2100},
         "cellRenderer": "RbLatest", "minWidth": 104,
         "cellRendererParams": {"noData": _("no data"), "stale": _("stale"),
                                "staleTitle": ngettext("No data for more than %(num)d day",
                                                       "No data for more than %(num)d days", STALE_AFTER_DAYS)}},
        {"headerName": _("Followers trend"), "field": "spark", "cellRenderer": "RbSparkline", "sortable": False,
         "filter": False, "width": 128, "minWidth": 128, "flex": 0,
         "cellRendererParams": {"label": _("Followers trend")}},
    ]


def rows(view: rm.PortfolioPage) -> list[dict]:
    """One grid row per company in reach (the portfolio read model, laid out for the grid)."""
    out = []
    for r in view.rows:
        last = r["last_data_date"]
        out.append({**r, "id": str(r["company_id"]), "company_id": str(r["company_id"]),
                    "company": f"[{_md_escape(r['name'])}]({company_url(r['company_id'])})",
                    "listening_url": listening_url(r["company_id"]),
                    "unanswered_title": ngettext("%(num)d mention not yet answered",
                                                 "%(num)d mentions not yet answered", r.get("unanswered") or 0),
                    "last_data_date": last.isoformat() if last else None})
    return out


def listening_url(company_id) -> str:
    """The company's Listening page (its mentions and the inbox of unanswered ones)."""
    return f"{company_url(company_id)}/listening"


def _md_escape(text: str) -> str:
    for ch in "\\[]()*_`#<>":
        text = text.replace(ch, "\\" + ch)
    return text


def layout(search: str | None):
    principal = get_principal()
    if principal is None or not principal.is_staff:
        return not_found()
    preset = preset_from(search)
    return page(
        None, "portfolio",
        html.Div([
            html.H1(_("Portfolio"), className="h3 mb-0"),
            html.Div([
                # Only the companies with an open alert, a goal off track, missed or at risk, or stale data.
                dbc.Switch(id=ids.PORTFOLIO_ATTENTION, label=_("Needs attention"), value=False,
                           className="small mb-0 me-3"),
                dbc.Label(_("Period"), html_for=ids.PORTFOLIO_PRESET, className="small mb-0 me-2"),
                dcc.Dropdown(id=ids.PORTFOLIO_PRESET, value=preset, clearable=False, searchable=False,
                             options=[{"label": translate(v), "value": k} for k, v in PORTFOLIO_PRESETS.items()],
                             style={"minWidth": "180px"}),
            ], className="d-flex align-items-center"),
        ], className="d-flex justify-content-between align-items-center mb-2 flex-wrap gap-2"),
        html.Div(id=ids.PORTFOLIO_PERIOD, className="small text-muted mb-2"),
        dag.AgGrid(
            id=ids.PORTFOLIO_GRID, rowData=[], columnDefs=column_defs(),
            defaultColDef={"sortable": True, "resizable": True, "filter": True, "floatingFilter": True,
                           "minWidth": 90, "flex": 1, "wrapHeaderText": True, "autoHeaderHeight": True},
            dashGridOptions={"domLayout": "autoHeight", "rowHeight": 40, "animateRows": False},
            getRowId="params.data.id",
            className="ag-theme-alpine rb-grid",
            style={"width": "100%"},
        ),
    )


def update_portfolio(preset, attention=False):
    """The grid's rows for a period; with ``attention`` only the companies that need it."""
    preset = preset if preset in PORTFOLIO_PRESETS else ctl.DEFAULT_PRESET
    principal = get_principal()
    if principal is None or not principal.is_staff:
        return [], "", "?range=" + preset
    view = rm.portfolio_page(preset)
    shown = [r for r in rows(view) if r["needs_attention"]] if attention else rows(view)
    period = f"{ctl._fmt(view.date_from)} – {ctl._fmt(view.date_to)}"
    if view.periods > 1:
        period += " " + _("(each company's period ends on its own today, in its time zone)")
    label = " ".join([
        _("Followers change, reach and engagement over %(period)s.", period=period),
        ngettext("Latest data older than %(num)d day is flagged as stale.",
                 "Latest data older than %(num)d days is flagged as stale.", STALE_AFTER_DAYS)])
    if attention:
        label += " " + ngettext(
            "Needs attention: %(shown)d of %(num)d company (an open alert, a goal off track, missed or at risk, "
            "or stale data).",
            "Needs attention: %(shown)d of %(num)d companies (an open alert, a goal off track, missed or at risk, "
            "or stale data).", len(view.rows), shown=len(shown))
    return shown, label, ctl.Controls(preset=preset).query_string()


def register(dash_app) -> None:
    # A click anywhere on a row (its sparkline too) opens the company, in the page (no reload).
    dash_app.clientside_callback(
        ClientsideFunction(namespace="reachboard", function_name="openCompany"),
        Output(ids.URL, "pathname", allow_duplicate=True),
        Input(ids.PORTFOLIO_GRID, "cellClicked"),
        prevent_initial_call=True,
    )
    dash_app.callback(
        Output(ids.PORTFOLIO_GRID, "rowData"),
        Output(ids.PORTFOLIO_PERIOD, "children"),
        Output(ids.URL, "search", allow_duplicate=True),
        Input(ids.PORTFOLIO_PRESET, "value"),
        Input(ids.PORTFOLIO_ATTENTION, "value"),
        prevent_initial_call="initial_duplicate",
    )(update_portfolio)
