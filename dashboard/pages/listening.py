"""The Listening page (issue 18): what people said about a company — volume by sentiment with a
click-through to a day's mentions, the top topics against the previous period, a map of
countries, influential voices, and the inbox of unanswered mentions with *Mark answered* and
*Assign* for staff (client viewers see it read-only). Laid out from the listening read model
(backend/read_models/listening.py); the figures come from dashboard/listening_figures.py.

The page arrives drawn for the filters in its query string (``from``, ``to``, ``channel``,
``sentiment``, ``topic``, ``country``, ``q``); the callbacks answer changes only.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component

from backend import read_models as rm
from backend.read_models import listening as rm_l

from .. import ids, listening_figures, theme
from .common import company_url, html_attributes, page

GRAPH_CONFIG: dcc.Graph.Config = {"displaylogo": False, "responsive": True,
                                  "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"]}
SENTIMENT_BADGES = {"positive": "success", "neutral": "secondary", "negative": "danger"}
FILTER_KEYS = ("from", "to", "channel", "sentiment", "topic", "country", "q")
NOT_FOUND = "Not found."


def listening_url(company_id) -> str:
    return company_url(company_id) + "/listening"


def map_config(topojson_url: str) -> dcc.Graph.Config:
    """The map's config: Plotly's world topojson from the app's own assets (``topojson_url``, the
    folder), not from Plotly's CDN."""
    return {**GRAPH_CONFIG, "topojsonURL": topojson_url}


def _query(search: str | None) -> dict[str, str]:
    values = parse_qs((search or "").lstrip("?"))
    return {k: values[k][0][:600] for k in FILTER_KEYS if values.get(k)}


def layout(company, search: str | None, topojson_url: str):
    """The page with its first view drawn."""
    opts = rm_l.options(company)
    args = _query(search)
    filters = rm_l.parse_filters(opts.today, date_from=args.get("from"), date_to=args.get("to"),
                                 channel=args.get("channel"), sentiment=args.get("sentiment"),
                                 topic=args.get("topic"), country=args.get("country"), q=args.get("q"))
    view = rm_l.listening_view(company, filters)
    (volume, country_map, topics, voices, answer, period, date_msg, q_msg, msg) = lay_out(view)

    def choice(label: str, cid: str, options: list[tuple[str, str]], value: str, all_label: str, md: int = 2):
        items = [{"label": all_label, "value": "all"}] + [{"label": lab, "value": val} for val, lab in options]
        if value not in {i["value"] for i in items}:
            value = "all"
        return dbc.Col([dbc.Label(label, html_for=cid, className="small mb-1"),
                        dcc.Dropdown(id=cid, options=items, value=value, clearable=False)], md=4, lg=md)

    controls = html.Section([dbc.Row([
        dbc.Col([dbc.Label("From – to", className="small mb-1"),
                 dcc.DatePickerRange(id=ids.LISTENING_DATES, start_date=filters.date_from.isoformat(),
                                     end_date=filters.date_to.isoformat(), display_format="D MMM YYYY",
                                     first_day_of_week=1, minimum_nights=0, className="d-block",
                                     max_date_allowed=opts.today.isoformat()),
                 html.Div(date_msg, id=ids.LISTENING_DATE_MESSAGE, className="small text-danger", role="status")],
                md=8, lg=3),
        choice("Channel", ids.LISTENING_CHANNEL, opts.channels, filters.channel, "All channels"),
        choice("Sentiment", ids.LISTENING_SENTIMENT, [(s, s.capitalize()) for s in rm_l.SENTIMENTS],
               filters.sentiment, "Every sentiment"),
        choice("Topic", ids.LISTENING_TOPIC, opts.topics, filters.topic, "All topics"),
        choice("Country", ids.LISTENING_COUNTRY, opts.countries, filters.country, "All countries", md=3),
        dbc.Col([dbc.Label("Search", html_for=ids.LISTENING_SEARCH, className="small mb-1"),
                 dcc.Input(id=ids.LISTENING_SEARCH, type="search", value=filters.q, debounce=True,
                           placeholder='words, "a phrase", -not', className="form-control form-control-sm",
                           maxLength=rm_l.MAX_QUERY_LENGTH),
                 html.Div(q_msg, id=ids.LISTENING_SEARCH_MESSAGE, className="small text-danger", role="status")],
                md=8, lg=6),
    ], className="g-2 align-items-start"),
        html.Div(msg, id=ids.LISTENING_MESSAGE, className="small text-danger mt-1", role="status"),
        html.Div(period, id=ids.LISTENING_PERIOD, className="small text-muted mt-1")],
        className="rb-panel mb-3", id="rb-listening-controls")

    return page(
        company, "listening",
        dcc.Store(id=ids.LISTENING_COMPANY_ID, data=str(company.id)),
        html.Div([html.H1(f"{company.name}: listening", className="h3 mb-0", id="rb-listening-title"),
                  html.A("← Dashboard", href=company_url(company.id), className="btn btn-outline-secondary btn-sm")],
                 className="d-flex justify-content-between align-items-center mb-3 flex-wrap gap-2"),
        controls,
        dbc.Row([
            dbc.Col(html.Div(dcc.Graph(id=ids.LISTENING_VOLUME, config=GRAPH_CONFIG, figure=volume),
                             className="rb-panel p-1"), lg=8),
            dbc.Col(html.Section(answer, id=ids.LISTENING_ANSWER_TIME, className="rb-panel h-100"), lg=4),
        ], className="g-3 mb-3"),
        html.Section(day_hint(), id=ids.LISTENING_DAY, className="rb-panel mb-3",
                     **html_attributes({"aria-live": "polite"})),
        dbc.Row([
            dbc.Col(html.Section(topics, id=ids.LISTENING_TOPICS, className="rb-panel h-100"), lg=4),
            dbc.Col(html.Div(dcc.Graph(id=ids.LISTENING_MAP, config=map_config(topojson_url), figure=country_map),
                             className="rb-panel p-1"), lg=8),
        ], className="g-3 mb-3"),
        dbc.Row([
            dbc.Col(html.Section(voices, id=ids.LISTENING_VOICES, className="rb-panel h-100"), lg=5),
            # (Flat: a callback's answer may nest at most 32 levels, backend/inputs.py.)
            dbc.Col([html.Div(id=ids.LISTENING_INBOX_STATUS, role="status"),
                     html.Section(inbox_panel(company, opts, view.inbox), id=ids.LISTENING_INBOX,
                                  className="rb-panel")], lg=7),
        ], className="g-3"),
    )


def lay_out(view: rm_l.ListeningView) -> tuple:
    """The volume chart, the map, the topics, the voices, the answer time, the period text and
    the three messages (dates, search, the rest) of a view."""
    f = view.filters
    volume = listening_figures.volume_figure(view.volume, granularity=f.granularity)
    country_map = listening_figures.country_map_figure(
        [{"alpha3": c.alpha3, "name": c.name, "count": c.count} for c in view.countries])
    other = " ".join(m for k, m in f.messages.items() if k not in ("date", "q"))
    return (volume, country_map, topics_panel(view.topics), voices_panel(view.voices),
            answer_panel(view.answer_time), rm_l.period_text(view), f.messages.get("date", ""),
            f.messages.get("q", ""), other)


def topics_panel(rows: list[rm_l.TopicRow]) -> list:
    head = html.H2("Top topics", className="h6")
    if not rows:
        return [head, html.P("No tagged mentions in this period.", className="small text-muted mb-0")]

    def movement(r: rm_l.TopicRow) -> html.Td:
        if r.change == 0:
            return html.Td("±0", className="text-end text-muted")
        arrow = "▲" if r.change > 0 else "▼"
        return html.Td(f"{arrow} {r.change:+,}".replace("-", "−"), title=f"{r.previous:,} in the previous period",
                       className=f"text-end {'rb-neg' if r.change < 0 else 'rb-pos'}")

    return [head, dbc.Table([
        html.Thead(html.Tr([html.Th("Topic"), html.Th("Mentions", className="text-end"),
                            html.Th("vs previous", className="text-end")])),
        html.Tbody([html.Tr([html.Td(r.name), html.Td(f"{r.count:,}", className="text-end"),
                             movement(r)],
                            **html_attributes({"data-topic": r.name, "data-count": str(r.count)})) for r in rows]),
    ], size="sm", responsive=True, className="mb-0 small")]


def voices_panel(voices: list[rm_l.Voice]) -> list:
    head = html.H2("Influential voices", className="h6")
    if not voices:
        return [head, html.P("No authors in this period.", className="small text-muted mb-0")]
    return [head, dbc.Table([
        # On a phone the handle gives way (the table scrolls sideways otherwise); the name stays.
        html.Thead(html.Tr([html.Th("Author"), html.Th("Handle", className="d-none d-sm-table-cell"),
                            html.Th("Followers", className="text-end"),
                            html.Th("Mentions", className="text-end"),
                            html.Th("Reach", className="text-end", title="Followers × mentions")])),
        html.Tbody([html.Tr([
            html.Td(v.name or v.handle, className="fw-semibold"),
            html.Td(f"@{v.handle.lstrip('@')}", className="text-muted d-none d-sm-table-cell"),
            html.Td(theme.compact(v.followers), className="text-end", title=f"{v.followers:,}"),
            html.Td(f"{v.mentions:,}", className="text-end"),
            html.Td(theme.compact(v.reach), className="text-end", title=f"{v.reach:,}"),
        ], **html_attributes({"data-handle": v.handle})) for v in voices]),
    ], size="sm", responsive=True, className="mb-0 small")]


def minutes_text(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} days"


def answer_panel(answer: rm_l.AnswerTime) -> list:
    body: list[Component] = [html.H2("Answer time", className="h6")]
    if answer.median_minutes is None:
        body.append(html.P("No answered mentions in this period.", className="small text-muted"))
    else:
        met = answer.goal_target is None or answer.median_minutes <= answer.goal_target
        body.append(html.Div(minutes_text(answer.median_minutes), className=f"rb-kpi-value {'' if met else 'rb-bad'}",
                             **html_attributes({"data-testid": "median-answer",
                                                "data-minutes": f"{answer.median_minutes:.1f}"})))
        body.append(html.Div(f"median over {answer.answered:,} answered mention{'s' * (answer.answered != 1)}",
                             className="small text-muted"))
    if answer.goal_target is not None:
        body.append(html.P([f"Goal “{answer.goal_title}”: within {minutes_text(answer.goal_target)}",
                            "" if answer.median_minutes is None else
                            (" — met." if answer.median_minutes <= answer.goal_target else " — not met.")],
                           className="small mt-2 mb-0", id="rb-listening-goal"))
    else:
        body.append(html.P("No response-time goal yet.", className="small text-muted mt-2 mb-0"))
    return body


def day_hint() -> html.P:
    return html.P("Click a bar in the chart to list that day's mentions.", className="small text-muted mb-0")


def mention_card(m: rm_l.MentionItem, actions: list[Component] | None = None) -> html.Li:
    """One mention; ``actions`` go on a row under its text (flat in the item: a callback's answer
    may nest at most 32 levels, backend/inputs.py)."""
    link = (html.A("Open", href=m.url, target="_blank", rel="noopener noreferrer nofollow", className="small ms-2")
            if m.url.startswith(("https://", "http://")) else None)
    who = m.author_name or m.author_handle or "Someone"
    return html.Li([
        html.Div([
            dbc.Badge(m.sentiment, color=SENTIMENT_BADGES.get(m.sentiment, "secondary"), className="me-2"),
            html.Span(who, className="fw-semibold"),
            html.Span(f" @{m.author_handle.lstrip('@')}", className="text-muted") if m.author_handle and m.author_name
            else None,
            html.Span(f" · {m.channel} · {m.local_time}" + (f" · {m.country}" if m.country else ""),
                      className="small text-muted"),
            link,
        ], className="w-100"),
        html.P(m.text, className="mb-1 small rb-wrap w-100"),
        *(actions or []),
    ], className="list-group-item d-flex flex-wrap align-items-center gap-2",
        **html_attributes({"data-mention-id": m.id}))


def day_panel(start: dt.date, end: dt.date, items: list[rm_l.MentionItem]) -> list:
    when = rm.controls._fmt(start) if start == end else f"{rm.controls._fmt(start)} – {rm.controls._fmt(end)}"
    more = " (the newest shown)" if len(items) >= rm_l.BUCKET_SHOWN else ""
    return [html.H2(f"Mentions on {when}{more}", className="h6", id="rb-listening-day-title"),
            html.Ul([mention_card(m) for m in items], className="list-group list-group-flush")
            if items else html.P("No mentions on this day under these filters.", className="small text-muted mb-0")]


def inbox_panel(company, opts: rm_l.Options, items: list[rm_l.MentionItem] | None = None) -> list:
    """The unanswered mentions, oldest first, with Mark answered and Assign for staff."""
    items = rm_l.inbox_items(company) if items is None else items
    waiting = rm_l.inbox_count(company)
    names = dict(opts.assignees)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def actions(m: rm_l.MentionItem):
        since = f"waiting {_age(now - m.published_at)}"
        if not opts.can_answer:
            return [html.Span(since, className="small text-muted")]
        return [
            html.Span(since, className="small text-muted me-auto"),
            dcc.Dropdown(id={"type": ids.LISTENING_ASSIGN, "index": m.id},
                         options=[{"label": label, "value": uid} for uid, label in opts.assignees],
                         value=m.assigned_to if m.assigned_to in names else None, placeholder="Assign…",
                         clearable=True, className="rb-assign", style={"minWidth": "12rem"}),
            html.Button("Mark answered", id={"type": ids.LISTENING_ANSWER, "index": m.id}, n_clicks=0,
                        className="btn btn-sm btn-outline-success rb-answer"),
        ]

    title = f"Unanswered ({waiting:,})" if waiting else "Unanswered"
    return [html.H2(title, className="h6", **html_attributes({"data-count": str(waiting)})),
            html.Ul([mention_card(m, actions(m)) for m in items], className="list-group list-group-flush")
            if items else html.P("Nothing waiting for an answer.", className="small text-muted mb-0"),
            html.P(f"The oldest {len(items)} shown.", className="small text-muted mt-2 mb-0")
            if waiting > len(items) else None]


def _age(delta: dt.timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // 1440} days"


# --- callbacks ------------------------------------------------------------------------------

def _company(company_id):
    try:
        return rm.company(company_id)
    except rm.NotFound:
        return None


def _filters(company, start, end, channel, sentiment, topic, country, q) -> rm_l.Filters:
    return rm_l.parse_filters(rm_l.today(company), date_from=start, date_to=end, channel=channel,
                              sentiment=sentiment, topic=topic, country=country, q=q)


def update_listening(company_id, start, end, channel, sentiment, topic, country, q):
    """Everything but the inbox when a filter changes; the day's list goes back to its hint."""
    company = _company(company_id)
    if company is None:
        return (no_update,) * 8 + (NOT_FOUND, [])
    view = rm_l.listening_view(company, _filters(company, start, end, channel, sentiment, topic, country, q))
    return (*lay_out(view), day_hint())


def show_bucket(click, company_id, start, end, channel, sentiment, topic, country, q):
    """A click on a bar: that day's (or week's) mentions under the filters."""
    company = _company(company_id)
    if company is None:
        return html.P(NOT_FOUND)
    points = (click or {}).get("points") or []
    day = rm.controls.parse_date(points[0].get("customdata") or points[0].get("x")) if points else None
    if day is None:
        return day_hint()
    filters = _filters(company, start, end, channel, sentiment, topic, country, q)
    return day_panel(*rm_l.bucket_mentions(company, filters, day))


def inbox_action(_answers, _assignees, company_id):
    """Mark answered / Assign in the inbox (staff only: the service refuses anyone else)."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered:
        return no_update, no_update
    company = _company(company_id)
    if company is None:
        return no_update, NOT_FOUND
    value = ctx.triggered[0].get("value")
    if trigger.get("type") == ids.LISTENING_ANSWER:
        if not value:  # a button that was drawn, not clicked
            return no_update, no_update
        problem = rm_l.mark_answered(company.id, trigger.get("index"))
        done = "Marked answered."
    else:
        problem = rm_l.assign(company.id, trigger.get("index"), value)
        done = "Assigned." if value else "No longer assigned."
    status = dbc.Alert(problem or done, color="danger" if problem else "success", className="py-1 px-2 mb-2 small",
                       duration=None if problem else 4000)
    return inbox_panel(company, rm_l.options(company)), status


FILTER_STATES = [State(ids.LISTENING_COMPANY_ID, "data"), State(ids.LISTENING_DATES, "start_date"),
                 State(ids.LISTENING_DATES, "end_date"), State(ids.LISTENING_CHANNEL, "value"),
                 State(ids.LISTENING_SENTIMENT, "value"), State(ids.LISTENING_TOPIC, "value"),
                 State(ids.LISTENING_COUNTRY, "value"), State(ids.LISTENING_SEARCH, "value")]


def register(dash_app) -> None:
    dash_app.callback(
        Output(ids.LISTENING_VOLUME, "figure"),
        Output(ids.LISTENING_MAP, "figure"),
        Output(ids.LISTENING_TOPICS, "children"),
        Output(ids.LISTENING_VOICES, "children"),
        Output(ids.LISTENING_ANSWER_TIME, "children"),
        Output(ids.LISTENING_PERIOD, "children"),
        Output(ids.LISTENING_DATE_MESSAGE, "children"),
        Output(ids.LISTENING_SEARCH_MESSAGE, "children"),
        Output(ids.LISTENING_MESSAGE, "children"),
        Output(ids.LISTENING_DAY, "children"),
        *[Input(s.component_id, s.component_property) for s in FILTER_STATES],
        prevent_initial_call=True,  # the page arrives drawn
    )(update_listening)
    dash_app.callback(
        Output(ids.LISTENING_DAY, "children", allow_duplicate=True),
        Input(ids.LISTENING_VOLUME, "clickData"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(show_bucket)
    dash_app.callback(
        Output(ids.LISTENING_INBOX, "children"),
        Output(ids.LISTENING_INBOX_STATUS, "children"),
        Input({"type": ids.LISTENING_ANSWER, "index": ALL}, "n_clicks"),
        Input({"type": ids.LISTENING_ASSIGN, "index": ALL}, "value"),
        State(ids.LISTENING_COMPANY_ID, "data"),
        prevent_initial_call=True,
    )(inbox_action)
