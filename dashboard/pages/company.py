"""The company page: KPI cards, follower growth, reach, engagement and goal progress, with the
date range, granularity and channel kept in the URL's query string."""
from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, ctx, dcc, html, no_update
from dash.development.base_component import Component
from flask import request

from backend import read_models as rm
from backend.read_models import controls as ctl

from .. import figures, ids, theme
from .alerts import company_alerts_panel, goal_from
from .common import company_url, html_attributes, is_staff, page

GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}
FOLLOWERS_LABEL = "Followers"
NOT_FOUND_FIGURE = figures.empty_figure("", "Not found")


def layout(company, search: str | None):
    """The page, arriving with its first view drawn (one request instead of the layout and then
    two callbacks, which answer control changes only, see register)."""
    controls = ctl.parse_query(search)
    header = html.Div([
        html.Div([
            html.H1(company.name, className="h3 mb-0", id="rb-company-name"),
            html.Div(company.industry or "", className="text-muted small"),
        ]),
        html.A("Strategy and goals →", href=company_url(company.id, True),
               className="btn btn-outline-secondary btn-sm"),
    ], className="d-flex justify-content-between align-items-center mb-3 flex-wrap gap-2")
    view = rm.company_page(company, controls, goal=goal_from(search))
    if view.view is None:
        return page(company, "company", header, first_data_card(company))
    channel_options = [{"label": "All channels", "value": "all"}] + [
        {"label": c.name, "value": c.key} for c in view.channels
    ]
    channel_value = view.view.channel
    today = view.today
    start, end = ((controls.date_from, controls.date_to) if controls.preset == "custom"
                  else ctl.preset_range(controls.preset, today))
    (cards, followers, reach, engagement, messages, period, start, end,
     preset, _compare) = lay_out_view(view.view, controls, _iso(start), _iso(end))
    assert view.goals is not None  # read with the view
    goals_figure, goal_options, chosen_goal, path_figure = lay_out_goals(view.goals)
    control_row = dbc.Row([
        dbc.Col([dbc.Label("Period", html_for=ids.PRESET, className="small mb-1"),
                 dcc.Dropdown(id=ids.PRESET, options=[{"label": v, "value": k} for k, v in ctl.PRESETS.items()],
                              value=preset, clearable=False, searchable=False)], md=3, lg=2),
        dbc.Col([dbc.Label("From – to", className="small mb-1"),
                 dcc.DatePickerRange(id=ids.DATE_RANGE, start_date=start, end_date=end, display_format="D MMM YYYY",
                                     first_day_of_week=1, minimum_nights=0, className="d-block",
                                     max_date_allowed=today.isoformat())], md=5, lg=3),
        dbc.Col([dbc.Label("Granularity", className="small mb-1"),
                 dbc.RadioItems(id=ids.GRANULARITY,
                                options=[{"label": v, "value": k} for k, v in ctl.GRANULARITIES.items()],
                                value=controls.granularity, inline=True, className="pt-1")], md=4, lg=3),
        dbc.Col([dbc.Label("Channel", html_for=ids.CHANNEL, className="small mb-1"),
                 dcc.Dropdown(id=ids.CHANNEL, options=channel_options, value=channel_value, clearable=False)],
                md=6, lg=2),
        dbc.Col([dbc.Label("Compare with", html_for=ids.COMPARE, className="small mb-1"),
                 dcc.Dropdown(id=ids.COMPARE, options=[{"label": v, "value": k} for k, v in ctl.COMPARISONS.items()],
                              value=view.view.compare, clearable=False, searchable=False)], md=6, lg=2),
    ], className="g-2 align-items-end")
    return page(
        company, "company",
        dcc.Store(id=ids.COMPANY_ID, data=str(company.id)),
        header,
        html.Section([control_row,
                      html.Div(messages, id=ids.RANGE_MESSAGE, className="mt-2", role="status"),
                      html.Div(period, id=ids.PERIOD_LABEL, className="small text-muted mt-1")],
                     className="rb-panel mb-3", id="rb-controls"),
        html.Div(cards, id=ids.KPI_CARDS, className="row g-2 mb-3"),
        dbc.Row([dbc.Col(_graph(ids.FOLLOWERS_GRAPH, followers), lg=12)], className="g-3 mb-3"),
        dbc.Row([dbc.Col(_graph(ids.REACH_GRAPH, reach), lg=6),
                 dbc.Col(_graph(ids.ENGAGEMENT_GRAPH, engagement), lg=6)],
                className="g-3 mb-3"),
        dbc.Row([
            dbc.Col(_graph(ids.GOALS_GRAPH, goals_figure), lg=8),
            dbc.Col(company_alerts_panel(company.id), lg=4),  # beside the goal bars
        ], className="g-3 mb-3"),
        dbc.Row([
            dbc.Col([
                html.Div([dbc.Label("Goal", html_for=ids.GOAL_SELECT, className="small mb-1"),
                          dcc.Dropdown(id=ids.GOAL_SELECT, options=goal_options, value=chosen_goal, clearable=False,
                                       placeholder="Choose a goal")], className="mb-2"),
                _graph(ids.GOAL_PATH_GRAPH, path_figure),
            ], lg=12),
        ], className="g-3"),
    )


def _iso(day) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else day


def _graph(graph_id: str, figure: dict):
    return html.Div(dcc.Graph(id=graph_id, config=GRAPH_CONFIG, figure=figure), className="rb-panel p-1")


def first_data_card(company):
    """No data yet. Agency staff get a push command that works as pasted (built from the company's
    channels, the key from $REACHBOARD_API_KEY); a client viewer is told their agency connects it."""
    if not is_staff():
        return html.Section([
            html.H2("No data yet", className="h5"),
            html.P("Your agency is connecting this company's channels; the numbers show here as soon as the "
                   "first ones arrive."),
        ], className="rb-panel", id="rb-first-data")
    example = rm.push_example(company, request.host_url)
    if example is None:
        return html.Section([
            html.H2("No data yet", className="h5"),
            html.P(["This company has no channels yet. ",
                    html.A("Add its channels", href=f"/manage/companies/{company.id}/channels"),
                    ", then push their numbers with an API key from ",
                    html.A("Data connections", href=f"/manage/companies/{company.id}/data"), "."]),
        ], className="rb-panel", id="rb-first-data")
    return html.Section([
        html.H2("No data yet", className="h5"),
        html.P(["This company has no metrics yet. Put an API key that may write metrics (from ",
                html.A("Data connections", href=f"/manage/companies/{company.id}/data"), ") in ",
                html.Code("REACHBOARD_API_KEY"), " and run:"]),
        html.Div([
            dcc.Clipboard(target_id="rb-push-example", title="Copy", className="rb-copy"),
            html.Pre(example.command, id="rb-push-example", className="rb-code"),
        ], className="position-relative"),
        html.P(example.explanation, className="small text-muted mt-2 mb-0", id="rb-push-explanation"),
    ], className="rb-panel", id="rb-first-data")


# --- callbacks ------------------------------------------------------------------------------

KPI_SPECS = [
    # key, title, format, unit for the change text
    ("followers", "Followers", "number"),
    ("reach", "Reach", "number"),
    ("engagement_rate", "Engagement rate", "ratio"),
    ("mentions", "Mentions", "number"),
    ("cost_per_1k_reach", "Cost per 1k reach", "currency"),
]


def format_kpi(value, unit: str) -> str:
    if unit == "ratio":
        return theme.percent(value)
    if unit == "currency":
        return theme.money(value)
    return theme.compact(value)


NO_DATA_WORDS = {"engagement_rate": "engagement", "mentions": "mention", "cost_per_1k_reach": "cost"}


def _sentiment_line(by_metric: dict[str, dict]):
    """'+6.9k · 5.7k · −1.2k  sentiment +0.42' under the mentions, only the parts that have data."""
    parts: list[str | html.Span] = []
    for k, sign, css, what in (("mentions_positive", "+", "rb-pos", "Positive"),
                               ("mentions_neutral", "", "text-muted", "Neutral"),
                               ("mentions_negative", "−", "rb-neg", "Negative")):
        v = (by_metric.get(k) or {}).get("value")
        if v is not None:
            parts += [" · "] if parts else []
            parts.append(html.Span(f"{sign}{theme.compact(v)}", className=css, title=f"{what} mentions"))
    score = (by_metric.get("sentiment_score") or {}).get("value")
    if score is not None:
        parts.append(html.Span(f"  sentiment {score:+.2f}", className="text-muted"))
    return html.Div(parts, className="small", **html_attributes({"data-testid": "kpi-sentiment"})) if parts else None


def previous_partly_covered(previous_from, data_start) -> bool:
    """True when the stored history starts after the previous period does, so a change against
    it compares a full period with a partial one."""
    return previous_from is not None and data_start is not None and data_start > previous_from


def kpi_cards(by_metric: dict[str, dict], previous_from: dt.date | None = None,
              data_start: dt.date | None = None, compare: str = "previous") -> list:
    """One card per KPI: the value, the change against the previous period, and for mentions the
    sentiment split. A KPI without data says so in words. Pass ``previous_from`` (the summary's
    ``previous_from``) and ``data_start`` (the first date of the company's data) to have cards
    say when the previous period is only partly covered instead of showing an inflated change."""
    partial = previous_partly_covered(previous_from, data_start)
    cards = []
    for key, title, unit in KPI_SPECS:
        m = by_metric.get(key) or {}
        value, change, pct = m.get("value"), m.get("change"), m.get("change_percent")
        better_lower = key == "cost_per_1k_reach"
        body: list[Component | None]
        if value is None:
            body = [html.Div(f"No {NO_DATA_WORDS.get(key, title.lower())} data in this period",
                             className="rb-kpi-empty text-muted",
                             **html_attributes({"data-metric": key, "data-value": ""}))]
        elif better_lower and value == 0:
            # Nothing spent (not a cost of 0.00, nor a −100% "improvement").
            body = [html.Div("No spend in this period", className="rb-kpi-empty text-muted",
                             **html_attributes({"data-metric": key, "data-value": repr(float(value))}))]
        else:
            tone = "text-muted"
            if change and not partial:
                good = (change < 0) if better_lower else (change > 0)
                tone = "rb-good" if good else "rb-bad"
            if change is None:
                change_text = "No data a year earlier" if compare == "year" else "No data for the previous period"
                hint = None
            elif partial and data_start is not None:  # (partial: there is a data start)
                change_text = ("Last year only partly covered" if compare == "year"
                               else "Previous period only partly covered")
                hint = f"Stored history starts {ctl._fmt(data_start)}; change against what is stored: " \
                       f"{theme.signed_change(change, pct, unit)}"
            else:
                against = "same period last year" if compare == "year" else "previous period"
                change_text, hint = f"{theme.signed_change(change, pct, unit)} vs {against}", None
            exact = f"{value:,.4f}" if unit == "ratio" else f"{value:,.2f}" if unit == "currency" else f"{value:,.0f}"
            body = [
                html.Div(format_kpi(value, unit), className="rb-kpi-value", title=exact,
                         **html_attributes({"data-metric": key, "data-value": repr(float(value))})),
                html.Div(change_text, className=f"small {tone}", title=hint,
                         **html_attributes({"data-testid": "kpi-change"})),
                _sentiment_line(by_metric) if key == "mentions" else None,
            ]
        cards.append(html.Div(html.Div([html.Div(title, className="rb-kpi-title"), *body],
                                       className="rb-kpi", id=f"rb-kpi-{key}"),
                              className="col-6 col-md-4 col-xl"))
    return cards


def _range_message(messages) -> list:
    return [dbc.Alert(m, color="warning", className="py-1 px-2 mb-1 small") for m in messages]


def controls_of(preset, start_date, end_date, granularity, channel, trigger=None, compare=None) -> ctl.Controls:
    """The controls as the user left them; moving the date picker makes the range custom, and
    choosing another period brings back that period's comparison (year to date: last year)."""
    if trigger == ids.DATE_RANGE and preset != "custom":
        preset = "custom"
    if trigger == ids.PRESET:
        compare = None
    return ctl.Controls(preset or ctl.DEFAULT_PRESET, ctl.parse_date(start_date), ctl.parse_date(end_date),
                        granularity or ctl.DEFAULT_GRANULARITY, channel or "all",
                        compare if compare in ctl.COMPARISONS else None)


def update_company(company_id, preset, start_date, end_date, granularity, channel, compare=None):
    """KPI cards and charts when a control changes (the page arrives with its first view drawn)."""
    try:
        company = rm.company(company_id)
    except rm.NotFound:
        empty = NOT_FOUND_FIGURE
        return ([], empty, empty, empty, not_found_message(), "", start_date, end_date, preset, compare)
    controls = controls_of(preset, start_date, end_date, granularity, channel, ctx.triggered_id, compare)
    return lay_out_view(rm.company_view(company, controls), controls, start_date, end_date)


def lay_out_view(view: rm.CompanyView, controls: ctl.Controls, start_date, end_date) -> tuple:
    """The KPI cards, the three charts, the range message, the period label, the picker's dates and
    the preset of a company view."""
    date_from, date_to, gran = view.date_from, view.date_to, view.granularity
    followers = figures.followers_figure(view.follower_lines, view.followers, target=view.target,
                                         campaigns=view.campaigns, granularity=gran,
                                         year_earlier=view.followers_year_earlier)
    reach = figures.reach_figure(view.reach, view.impressions, granularity=gran, campaigns=view.campaigns)
    engagement = figures.engagement_figure(view.engagement_rate, granularity=gran)
    period = (f"Showing {ctl._fmt(date_from)} – {ctl._fmt(date_to)}, per {gran}; compared with "
              f"{'the same days a year earlier, ' if view.compare == 'year' else ''}"
              f"{ctl._fmt(view.previous_from)} – {ctl._fmt(view.previous_to)}.")
    corrected = controls.preset != "custom" or view.messages
    picker_start = date_from.isoformat() if corrected else start_date
    picker_end = date_to.isoformat() if corrected else end_date
    cards = kpi_cards(view.kpis, previous_from=view.previous_from, data_start=view.data_start,
                      compare=view.compare)
    return (cards, followers, reach, engagement, _range_message(view.messages), period,
            picker_start, picker_end, view.preset, view.compare)


def update_goals(company_id, goal_id):
    """Goal bars, the goal chooser and the chosen goal's path: per company, not per period (the
    page arrives with them drawn); choosing another goal draws only its path."""
    if ctx.triggered_id == ids.GOAL_SELECT:
        return no_update, no_update, no_update, goal_path_figure(company_id, goal_id)
    try:
        company = rm.company(company_id)
    except rm.NotFound:
        return NOT_FOUND_FIGURE, [], None, figures.empty_figure("Goal path", "Not found.")
    return lay_out_goals(rm.goals_view(company))


def lay_out_goals(view: rm.GoalsView) -> tuple:
    """The goal bars, the chooser's options and value (the goal most in need of attention) and its path."""
    # Two goals may share a title: the channel tells them apart.
    goal_options = [{"label": f"{g['title']} · {g['channel_label']} ({g['status_label']})", "value": g["id"]}
                    for g in view.goals]
    path = (path_figure(view.path) if view.path is not None
            else figures.empty_figure("Goal path", "No sub-goals yet: a goal's path shows here."))
    return figures.goals_figure(view.goals), goal_options, view.chosen, path


def not_found_message():
    return [dbc.Alert("Not found.", color="danger")]


def goal_path_figure(company_id, goal_id):
    if not goal_id:
        return figures.empty_figure("Goal path", "Choose a goal to see its path.")
    try:
        path = rm.goal_path(company_id, goal_id)
    except rm.NotFound:
        return figures.empty_figure("Goal path", "Not found.")
    return path_figure(path)


def path_figure(path: rm.GoalPath):
    return figures.goal_path_figure(path.title, path.actual, path.required, target=path.target, unit=path.unit)


def register(dash_app) -> None:
    dash_app.callback(
        Output(ids.KPI_CARDS, "children"),
        Output(ids.FOLLOWERS_GRAPH, "figure"),
        Output(ids.REACH_GRAPH, "figure"),
        Output(ids.ENGAGEMENT_GRAPH, "figure"),
        Output(ids.RANGE_MESSAGE, "children"),
        Output(ids.PERIOD_LABEL, "children"),
        Output(ids.DATE_RANGE, "start_date"),
        Output(ids.DATE_RANGE, "end_date"),
        Output(ids.PRESET, "value"),
        Output(ids.COMPARE, "value"),
        Input(ids.COMPANY_ID, "data"),
        Input(ids.PRESET, "value"),
        Input(ids.DATE_RANGE, "start_date"),
        Input(ids.DATE_RANGE, "end_date"),
        Input(ids.GRANULARITY, "value"),
        Input(ids.CHANNEL, "value"),
        Input(ids.COMPARE, "value"),
        # The page arrives with its first view drawn (see layout): answer changes only.
        prevent_initial_call=True,
    )(update_company)
    # The controls into the query string, in the browser (assets/dashboard_url.js, the same rules
    # as controls.Controls.query_string): no request, and none of the data callbacks above has an
    # output outside the page, so prevent_initial_call holds for them when the router inserts it.
    dash_app.clientside_callback(
        ClientsideFunction(namespace="reachboard", function_name="querystring"),
        Output(ids.URL, "search"),
        Input(ids.PRESET, "value"),
        Input(ids.DATE_RANGE, "start_date"),
        Input(ids.DATE_RANGE, "end_date"),
        Input(ids.GRANULARITY, "value"),
        Input(ids.CHANNEL, "value"),
        Input(ids.COMPARE, "value"),
    )
    # The chooser's value is both an output (the worst goal when the page opens) and an input
    # (the user picks another): one callback, so that opening the page is one request.
    dash_app.callback(
        Output(ids.GOALS_GRAPH, "figure"),
        Output(ids.GOAL_SELECT, "options"),
        Output(ids.GOAL_SELECT, "value"),
        Output(ids.GOAL_PATH_GRAPH, "figure"),
        Input(ids.COMPANY_ID, "data"),
        Input(ids.GOAL_SELECT, "value"),
        prevent_initial_call=True,
    )(update_goals)
