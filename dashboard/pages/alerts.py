"""The company page's open alerts, laid out from the alerts read model (backend/read_models/alerts.py):
beside the goal bars, worst first, each opening the page that shows it (a goal: the company page
with that goal chosen)."""
from __future__ import annotations

from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
from dash import html

from backend.read_models import alerts as rm_alerts

from .common import ALERTS_URL, html_attributes

SEVERITY_COLOURS = {"critical": "danger", "warning": "warning", "info": "info"}
SHOWN = 6


def goal_from(search: str | None) -> str | None:
    """The goal an alert's link names (``?goal=<id>``), or None."""
    values = parse_qs((search or "").lstrip("?")).get("goal")
    return values[0][:64] if values else None


def company_alerts_panel(company_id) -> html.Section:
    """The company's open alerts (unread by this person) beside its goal bars."""
    items = rm_alerts.company_alerts(company_id)
    rows = [html.Li([
        dbc.Badge(item.severity, color=SEVERITY_COLOURS.get(item.severity, "secondary"), className="me-2"),
        html.A(item.title, href=item.link, className="rb-alert-link",
               **html_attributes({"data-testid": "company-alert-link"})),
        html.Div(f"{item.kind_label} · {item.day.isoformat()}", className="small text-muted"),
    ], className="list-group-item", **html_attributes({"data-alert-id": str(item.id)})) for item in items[:SHOWN]]
    more = len(items) - SHOWN
    return html.Section([
        html.Div([
            html.H2("Open alerts", className="h6 mb-0"),
            html.A(f"All alerts ({more} more) →" if more > 0 else "All alerts →",
                   href=f"{ALERTS_URL}?company={company_id}", className="small"),
        ], className="d-flex justify-content-between align-items-center mb-2"),
        html.Ul(rows, className="list-group list-group-flush") if rows
        else html.P("No open alerts.", className="small text-muted mb-0"),
    ], className="rb-panel rb-alerts-panel h-100", id="rb-company-alerts",
        **html_attributes({"data-count": str(len(items))}))
