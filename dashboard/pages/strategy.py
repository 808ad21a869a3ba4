"""The strategy page: the strategy as a readable document, sub-goals by category with their
status, and the revision history."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from backend import read_models as rm

from .. import goal_text, theme
from .common import company_url, page


def _text(value, empty="Not written yet."):
    if not value:
        return html.P(empty, className="text-muted fst-italic")
    return dcc.Markdown(value, className="rb-prose")


def _date(d) -> str:
    return f"{d.day} {d:%b %Y}" if d else "–"


def layout(company):
    strategy = rm.strategy_page(company)
    channels = strategy.channels

    def channel_name(key: str) -> str:
        return channels[key].name if key in channels else key

    audiences = [html.Li([html.Strong(a.get("name", "")),
                          (" — " + a["description"]) if a.get("description") else "",
                          html.Span(" (" + ", ".join(channel_name(k) for k in a.get("channels", [])) + ")",
                                    className="text-muted") if a.get("channels") else ""])
                 for a in strategy.audiences]
    plan = [html.Li([html.Strong(channel_name(p["channel"])),
                     html.Span(f" ({channels[p['channel']].platform})", className="text-muted")
                     if p["channel"] in channels else "",
                     (" — " + p["purpose"]) if p.get("purpose") else ""])
            for p in strategy.channel_plan]
    target = strategy.launch_followers_target
    launch_text = (f"Reach the first critical mass of {theme.compact(target)} followers "
                   f"({target:,} across all channels) by {_date(strategy.launch_target_date)}."
                   if target else None)
    document = html.Article([
        html.Div([html.Span(f"Revision {strategy.revision}", className="badge text-bg-secondary me-2"),
                  html.Span(strategy.status.capitalize(), className="badge text-bg-light border me-2"),
                  html.Span(f"Reviewed {strategy.review_cadence}", className="small text-muted")], className="mb-2"),
        html.H2("What the company wants to achieve", className="h5"), _text(strategy.objective),
        html.H2("How it serves the business", className="h5"), _text(strategy.business_alignment),
        html.H2("Whom it wants to reach", className="h5"),
        html.Ul(audiences) if audiences else _text(None),
        html.H2("How it engages them", className="h5"), _text(strategy.engagement_approach),
        html.H2("Personality online", className="h5"), _text(strategy.personality),
        html.H2("Channels and why", className="h5"), html.Ul(plan) if plan else _text(None),
        html.H2("Launch plan", className="h5"), _text(launch_text, "No launch target yet."),
    ], className="rb-panel rb-document", id="rb-strategy-document")

    goal_sections: list[Component] = []
    for section in strategy.goal_sections:
        goal_sections.append(html.H3(section.label, className="h6 mt-3"))
        goal_sections.append(html.Ul([html.Li([
            html.Span(g["status_label"], className="rb-status me-2",
                      style={"backgroundColor": theme.tone_colour(g["tone"])}),
            html.Span(g["title"], className="fw-semibold"),
            html.Div(f"{g['metric_label']} on {_channel_words(g)}: "
                     + goal_text.reading(g).rpartition(" · ")[0]
                     + f" by {_date(g['deadline'])}"
                     + (f"; forecast {_date(g['forecast_date'])}" if g.get("forecast_date") else ""),
                     className="small text-muted"),
        ], className="mb-2") for g in section.goals], className="list-unstyled"))
    goals_panel = html.Section([html.H2("Sub-goals", className="h5"),
                                *(goal_sections or [html.P("No sub-goals yet.", className="text-muted")])],
                               className="rb-panel mb-3", id="rb-strategy-goals")

    history_rows = [html.Tr([
        html.Td(str(r.revision)), html.Td(_date(r.created_at), className="text-nowrap"),
        html.Td(_breakable_email(r.created_by), className="rb-wrap", title=r.created_by or None),
        html.Td(changed_fields(r.changes), className="rb-wrap",
                title=", ".join(_field_label(k) for k in sorted(r.changes or {})) or None),
    ]) for r in strategy.revisions]
    history = html.Section([
        html.H2("Revision history", className="h5"),
        dbc.Table([html.Colgroup([html.Col(style={"width": "3rem"}), html.Col(style={"width": "6.8rem"}),
                                  html.Col(style={"width": "34%"}), html.Col()]),
                   html.Thead(html.Tr([html.Th("Rev."), html.Th("Saved"), html.Th("By"), html.Th("Changed")])),
                   html.Tbody(history_rows)], size="sm", striped=True, className="mb-0 small rb-history")
        if history_rows else html.P("Not saved yet.", className="text-muted"),
    ], className="rb-panel", id="rb-strategy-history")

    return page(company, "strategy",
                html.Div([html.H1(f"{strategy.name}: strategy", className="h3 mb-0"),
                          html.A("← Dashboard", href=company_url(company.id),
                                 className="btn btn-outline-secondary btn-sm")],
                         className="d-flex justify-content-between align-items-center mb-3"),
                dbc.Row([dbc.Col(document, lg=7), dbc.Col([goals_panel, history], lg=5)], className="g-3"))


FIELD_LABELS = {
    "objective": "objective", "business_alignment": "business alignment", "audiences": "audiences",
    "engagement_approach": "engagement", "personality": "personality", "channel_plan": "channels",
    "launch_plan": "launch plan", "review_cadence": "review cadence", "status": "status",
}
MAX_FIELDS_SHOWN = 4


def _field_label(key: str) -> str:
    return FIELD_LABELS.get(key, key.replace("_", " "))


def _breakable_email(email: str | None):
    """An e-mail address that may wrap after the '@' rather than anywhere."""
    if not email:
        return "–"
    local, at, domain = email.partition("@")
    return [local + at, html.Wbr(), domain] if at else email


def changed_fields(changes: dict | None) -> str:
    """'Audiences, channels, launch plan' — in words, at most four, then 'and N more'."""
    labels = [_field_label(k) for k in sorted(changes or {})]
    if not labels:
        return "–"
    shown = labels[:MAX_FIELDS_SHOWN]
    text = ", ".join(shown)
    if len(labels) > MAX_FIELDS_SHOWN:
        text += f" and {len(labels) - MAX_FIELDS_SHOWN} more"
    return text[0].upper() + text[1:]


def _channel_words(goal: dict) -> str:
    """A goal's channel by its name ('Instagram'), or 'all channels'."""
    return "all channels" if goal["channel"] == "all" else goal["channel_label"]
