"""Figure builders, number formats and the controls of the company page: pure functions."""
from __future__ import annotations

import datetime as dt
import json

import plotly.graph_objects as go
import pytest

from backend.read_models import controls as ctl
from dashboard import figures, theme

pytestmark = pytest.mark.no_db
D0 = dt.date(2025, 3, 1)


def days(n, start=D0, base=1000.0, step=10.0):
    return [(start + dt.timedelta(days=i), base + i * step) for i in range(n)]


# --- number formats -------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "text"), [
    (0, "0"), (950, "950"), (1000, "1k"), (12_345, "12.3k"), (999_949, "999.9k"), (999_999, "1M"),
    (1_234_567, "1.2M"), (2_500_000_000, "2.5B"), (-4_200, "-4.2k"), (None, "–"), (12.5, "12.5"),
])
def test_compact_numbers(value, text):
    assert theme.compact(value) == text


def test_change_text_says_direction_and_percent():
    assert theme.signed_change(1234, 5.04) == "+1.2k (+5.0%)"
    assert theme.signed_change(-0.004, -10.0, "ratio") == "-0.40 pp (-10.0%)"
    assert theme.signed_change(None, None) == "no previous data"


def test_every_status_has_a_label_and_a_dark_enough_colour():
    def luminance(hex_colour):
        rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    from backend.services.goal_terms import STATUS_TERMS

    for status, term in STATUS_TERMS.items():
        # The vocabulary's own label and its tone's colour, not a fallback made up for any string.
        assert theme.status_label(status) == term.label != theme.status_label("no-such-status")
        assert theme.status_colour(status) == theme.TONE_COLOURS[term.tone]
        contrast = 1.05 / (luminance(theme.status_colour(status)) + 0.05)  # white text on the colour
        assert contrast >= 4.5, (status, contrast)
    for colour in theme.TONE_COLOURS.values():  # categories' tones carry white text too
        assert 1.05 / (luminance(colour) + 0.05) >= 4.5, colour


def test_platforms_get_distinct_colours():
    assert theme.platform_colour("facebook") != theme.platform_colour("instagram")
    assert theme.platform_colour("unknown-thing", 0) != theme.platform_colour("unknown-thing", 1)


# --- figures --------------------------------------------------------------------------------
def built(fig: dict) -> go.Figure:
    """The builders return plain dicts (what dcc.Graph takes); as a go.Figure every property is
    validated — an unknown or misspelt one raises — and readable as attributes."""
    assert isinstance(fig, dict) and set(fig) == {"data", "layout"}
    return go.Figure(fig)


def test_figures_are_plain_json_with_plotlys_default_look():
    import json

    fig = figures.followers_figure([{"label": "Facebook", "platform": "facebook", "points": days(3)}], days(3),
                                   target={"value": 5000})
    assert json.loads(json.dumps(fig)) == fig  # nothing but JSON types
    # The same default template a go.Figure carries (grid, fonts, hover labels look as before).
    assert fig["layout"]["template"] == go.Figure().to_plotly_json()["layout"]["template"]
    # The target line spans the plot like fig.add_hline's.
    assert built(fig).layout.shapes[0].xref == "x domain"


def test_followers_figure_has_a_line_per_channel_the_total_the_target_and_campaigns():
    fb, ig = days(30, base=1000), days(30, base=500)
    total = [(d, a + b) for (d, a), (_, b) in zip(fb, ig, strict=True)]
    fig = built(figures.followers_figure(
        [{"label": "Facebook", "platform": "facebook", "points": fb},
         {"label": "Instagram", "platform": "instagram", "points": ig}],
        total, target={"value": 5000, "label": "Critical mass", "date": "1 Jun 2025"},
        campaigns=[{"name": "Spring sale", "start": D0 + dt.timedelta(days=3), "end": D0 + dt.timedelta(days=9)}]))
    names = [t.name for t in fig.data]
    assert names == ["Facebook", "Instagram", "All channels"]
    assert list(fig.data[2].y) == [v for _, v in total]
    assert fig.data[0].line.color == theme.PLATFORM_COLOURS["facebook"]
    target_lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert target_lines and target_lines[0].y0 == 5000
    spans = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(spans) == 1 and spans[0].x0 == str(D0 + dt.timedelta(days=3))
    assert any("Spring sale" in a.text for a in fig.layout.annotations)
    assert any("Critical mass: 5k by 1 Jun 2025" in a.text for a in fig.layout.annotations)
    assert fig.layout.yaxis.title.text == "Followers" and fig.layout.xaxis.hoverformat == "%-d %b %Y"
    assert "%{y:,.0f}" in fig.data[0].hovertemplate  # exact values on hover


def _line(trace):
    return trace.line.color, trace.line.dash, trace.line.width


@pytest.mark.parametrize("platforms", [
    ["facebook", "instagram", "tiktok", "x"],          # Northwind in the demo
    ["blog", "linkedin", "x", "yammer", "youtube"],    # Vistula: two without a platform colour
    ["facebook", "facebook", "twitter", "x", None],    # the same platform twice, and aliases
])
def test_every_channel_line_has_its_own_colour_and_none_looks_like_the_total(platforms):
    series = [{"label": f"Channel {i}", "platform": p, "points": days(5, base=100 * (i + 1))}
              for i, p in enumerate(platforms)]
    fig = built(figures.followers_figure(series, days(5, base=5000)))
    *channels, total = fig.data
    assert total.name == "All channels" and total.line.dash == "dash" and total.line.width > channels[0].line.width
    colours = [t.line.color for t in channels]
    assert len(set(colours)) == len(colours), colours
    for i, a in enumerate(colours):
        assert theme.colour_distance(a, theme.COMBINED_COLOUR) >= theme.DISTINCT, a
        for b in colours[i + 1:]:
            assert theme.colour_distance(a, b) >= theme.DISTINCT, (a, b)
    assert len({_line(t) for t in fig.data}) == len(fig.data)


def test_a_platform_keeps_its_colour_in_every_figure():
    x_alone = built(figures.followers_figure([{"label": "X", "platform": "x", "points": days(3)}], days(3)))
    x_with_others = built(figures.followers_figure(
        [{"label": "Facebook", "platform": "facebook", "points": days(3)},
         {"label": "X", "platform": "x", "points": days(3)}], days(3)))
    assert x_alone.data[0].line.color == x_with_others.data[1].line.color == theme.PLATFORM_COLOURS["x"]
    assert theme.PLATFORM_COLOURS["x"] != theme.COMBINED_COLOUR  # X used to be drawn black like the total


def _boxes(fig, plot_px=figures.ASSUMED_PLOT_PX, char_px=figures.LABEL_CHAR_PX):
    """Rough label boxes (x from–to in days, y from–to as a share of the plot) of the campaign
    labels and the target label."""
    x0 = min(dt.date.fromisoformat(str(x)[:10]) for t in fig.data for x in t.x)
    x1 = max(dt.date.fromisoformat(str(x)[:10]) for t in fig.data for x in t.x)
    days_per_px = (x1 - x0).days / plot_px
    y_lo, y_hi = fig.layout.yaxis.range
    boxes = []
    for a in fig.layout.annotations:
        width = len(a.text) * char_px * days_per_px
        if a.xref == "x":  # a campaign label: starts at its date, hangs down from y
            left = (dt.date.fromisoformat(a.x) - x0).days
            boxes.append((a.text, left, left + width, a.y - figures.LABEL_ROW, a.y))
        else:  # the target label: left end of the plot, sits on the line
            y = (a.y - y_lo) / (y_hi - y_lo)
            boxes.append((a.text, 0, width, y, y + figures.LABEL_ROW))
    return boxes


def test_campaign_and_target_labels_do_not_overlap_when_campaigns_are_close():
    start = D0
    campaigns = [{"name": "Christmas gift boxes", "start": start, "end": start + dt.timedelta(days=20)},
                 {"name": "Case study: Baltic Freight", "start": start + dt.timedelta(days=30),
                  "end": start + dt.timedelta(days=40)},
                 {"name": "Route planning webinar series", "start": start + dt.timedelta(days=45),
                  "end": start + dt.timedelta(days=80)},
                 {"name": "Spring blend tasting panel with a very long name indeed",
                  "start": start + dt.timedelta(days=50), "end": start + dt.timedelta(days=52)}]
    fig = built(figures.followers_figure([{"label": "Facebook", "platform": "facebook", "points": days(365, step=200)}],
                                   None, target={"value": 80_000, "label": "Critical mass", "date": "1 Jun 2026"},
                                   campaigns=campaigns))
    boxes = _boxes(fig)
    assert len(boxes) == 5
    for i, (name_a, l_a, r_a, lo_a, hi_a) in enumerate(boxes):
        for name_b, l_b, r_b, lo_b, hi_b in boxes[i + 1:]:
            apart = r_a <= l_b or r_b <= l_a or hi_a <= lo_b + 1e-9 or hi_b <= lo_a + 1e-9
            assert apart, (name_a, name_b)
    # The labels sit in a band above the highest line and the target.
    y_from, y_to = fig.layout.yaxis.range[0], fig.layout.yaxis.range[1]
    top_of_data = (max(365 * 200 + 1000, 80_000) - y_from) / (y_to - y_from)
    assert min(lo for *_, lo, hi in boxes) >= top_of_data
    assert max(hi for *_, lo, hi in boxes) <= 1
    long = [a for a in fig.layout.annotations if "Spring blend" in (a.hovertext or "")][0]
    assert long.text.endswith("…") and "very long name indeed" in long.hovertext  # full name on hover


def test_followers_figure_without_data_says_so():
    fig = built(figures.followers_figure([{"label": "Facebook", "platform": "facebook", "points": []}], []))
    assert not fig.data
    assert "No follower numbers" in fig.layout.annotations[0].text


def test_reach_and_engagement_figures():
    reach = days(10, base=5000, step=100)
    fig = built(figures.reach_figure(reach, days(10, base=9000), granularity="week"))
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert fig.layout.xaxis.hoverformat.startswith("Week starting")
    assert "per week" in fig.layout.yaxis.title.text
    eng = built(figures.engagement_figure(
        [(D0, 0.031), (D0 + dt.timedelta(days=1), None), (D0 + dt.timedelta(days=2), 0.04)]))
    assert eng.layout.yaxis.tickformat == ".1%" and list(eng.data[0].y) == [0.031, None, 0.04]
    assert "No reach" in built(figures.reach_figure([], [])).layout.annotations[0].text
    assert "No engagement" in built(figures.engagement_figure([(D0, None)])).layout.annotations[0].text


def _goal(title, status, percent, current, target, unit, **more):
    return {"title": title, "status": status, "percent": percent, "current": current, "target": target,
            "unit": unit, "direction": "up", "aggregation": "latest", "deadline": dt.date(2025, 6, 1),
            "forecast_date": None, "baseline": None if current is None else 0, **more}


def _labels(fig):
    """The words above each bar, top first, without markup."""
    import re
    return [re.sub(r"<[^>]+>", "", a.text) for a in sorted(fig.layout.annotations, key=lambda a: -a.y)]


def test_goals_figure_colours_bars_by_status_and_caps_at_100():
    goals = [
        _goal("Grow followers", "on_track", 55.0, 5500, 10000, "followers", forecast_date=dt.date(2025, 9, 1),
              deadline=dt.date(2025, 10, 1), baseline=0, start_date=dt.date(2025, 1, 1)),
        _goal("Answer faster", "off_track", -20.0, 90, 30, "minutes", direction="down", baseline=80),
        _goal("Reach a million", "achieved", 130.0, 1.3e6, 1e6, "people"),
    ]
    fig = built(figures.goals_figure(goals))
    track, bar = fig.data
    # Bars are listed bottom-up: the first goal is the top bar, and its words are the top label.
    assert list(bar.x) == [100.0, 0.0, 55.0] and list(track.x) == [100, 100, 100]
    assert list(bar.marker.color) == [theme.status_colour("achieved"), theme.status_colour("off_track"),
                                      theme.status_colour("on_track")]
    assert _labels(fig) == [
        "Grow followers5.5k now · target ≥ 10k followers · on track",
        "Answer faster90 min now · target ≤ 30 min · off track, moving away",
        "Reach a million1.3M now · target ≥ 1M people · achieved",
    ]
    # The axis says what the length means: from the start value (0) to the target (100).
    assert list(fig.layout.xaxis.ticktext) == ["start", "25%", "50%", "75%", "target"]
    assert "55% of the way from 0 (the value on 1 Jan 2025) to 10k followers" in bar.hovertext[2]
    assert "Forecast: 2025-09-01" in bar.hovertext[2] and "5,500 now" in bar.hovertext[2]
    assert "not reached at the current pace" in bar.hovertext[1]
    assert "Forecast" not in bar.hovertext[0]  # achieved: nothing to forecast
    assert "No sub-goals" in built(figures.goals_figure([])).layout.annotations[0].text


def test_goals_moving_away_or_without_numbers_still_read_as_goals():
    goals = [
        _goal("Answer faster", "off_track", -12.4, 90, 30, "minutes", direction="down"),
        _goal("Brew guide library", "not_started", None, None, 9000, "people", aggregation="total"),
        _goal("Grow followers", "on_track", 80.0, 8000, 10000, "followers"),
    ]
    labels = _labels(built(figures.goals_figure(goals)))
    assert labels[0] == "Answer faster90 min now · target ≤ 30 min · off track, moving away"
    assert labels[1] == "Brew guide libraryno numbers yet · target 9k people · not started"


@pytest.mark.parametrize(("goal", "words"), [
    # The examples: goals that aim down, units from the catalog, totals, rates.
    (_goal("", "achieved", 100.0, 24.6, 30, "minutes", direction="down"), "24.6 min now · target ≤ 30 min · achieved"),
    (_goal("", "off_track", -5.0, 74.7, 60, "minutes", direction="down"),
     "74.7 min now · target ≤ 60 min · off track, moving away"),
    (_goal("", "on_track", 59.0, 4900, 6000, "followers"), "4.9k now · target ≥ 6k followers · on track"),
    (_goal("", "at_risk", 40.0, 1234, 5000, "mentions", aggregation="total"),
     "1.2k so far · target 5k mentions · at risk"),
    (_goal("", "on_track", 50.0, 0.0345, 0.05, "ratio"), "3.45% now · target ≥ 5.00% · on track"),
    (_goal("", "missed", 20.0, 1e15, 1e12, "views"), "1000T now · target ≥ 1T views · missed"),
])
def test_a_goal_reads_as_it_is_meant(goal, words):
    from dashboard import goal_text
    assert goal_text.reading(goal) == words


def test_two_goals_with_the_same_title_get_two_bars():
    goals = [_goal("Grow followers", "on_track", 80.0, 8000, 10000, "followers", channel_label="Instagram"),
             _goal("Grow followers", "off_track", 20.0, 2000, 10000, "followers", channel_label="LinkedIn")]
    fig = built(figures.goals_figure(goals))
    bar = fig.data[1]
    assert len(set(bar.y)) == 2
    assert [lbl.split("now")[0] for lbl in _labels(fig)] == ["Grow followers · Instagram8k ",
                                                             "Grow followers · LinkedIn2k "]
    assert list(bar.marker.color) == [theme.status_colour("off_track"), theme.status_colour("on_track")]
    assert "LinkedIn" in bar.hovertext[0] and "Instagram" in bar.hovertext[1]
    # A long title and channel share one line that fits a phone: both shortened, both there.
    long = built(figures.goals_figure([_goal("Answer Facebook questions within the hour, always", "on_track",
                                             50.0, 1, 2, "", channel_label="Northwind Coffee on Facebook")]))
    head = _labels(long)[0].split("1 now")[0]
    assert len(head) <= figures.GOAL_LINE_CHARS and head.startswith("Answer Facebook") and "· Northwind" in head


def test_goal_path_figure_shows_actual_against_needed():
    fig = built(figures.goal_path_figure("Grow followers", days(20), [(D0, 1000), (D0 + dt.timedelta(days=90), 4000)],
                                   target=4000, unit="followers"))
    assert [t.name for t in fig.data] == ["Needed to reach the target", "Actual"]
    assert list(fig.data[0].y) == [1000, 4000]
    assert fig.layout.yaxis.rangemode == "normal"  # the gap to the needed path stays visible
    ratio = built(figures.goal_path_figure("Engage", [(D0, 0.02)], [(D0, 0.01), (D0 + dt.timedelta(days=9), 0.05)],
                                     target=0.05, unit="ratio"))
    assert ratio.layout.yaxis.tickformat == ".1%"


def test_figures_reference_no_external_urls():
    fig = built(figures.followers_figure([{"label": "Facebook", "platform": "facebook", "points": days(3)}], days(3)))
    assert "http" not in fig.to_json()


# --- controls -------------------------------------------------------------------------------
TODAY = dt.date(2025, 6, 30)


def test_query_string_round_trip():
    c = ctl.Controls("custom", dt.date(2025, 1, 1), dt.date(2025, 2, 1), "week", "facebook")
    assert c.query_string() == "?range=custom&from=2025-01-01&to=2025-02-01&granularity=week&channel=facebook"
    assert ctl.parse_query(c.query_string()) == c
    assert ctl.parse_query("?range=30d").query_string() == "?range=30d"


@pytest.mark.parametrize("search", ["", "?range=bogus", "?range=custom&from=2025-13-01&to=x", "?granularity=hour"])
def test_broken_query_strings_fall_back_to_defaults(search):
    c = ctl.parse_query(search)
    assert c.preset in ctl.PRESETS and c.granularity in ctl.GRANULARITIES
    assert c.preset != "custom"


def test_presets():
    assert ctl.preset_range("30d", TODAY) == (dt.date(2025, 6, 1), TODAY)
    assert ctl.preset_range("90d", TODAY) == (dt.date(2025, 4, 2), TODAY)
    assert ctl.preset_range("12m", TODAY) == (dt.date(2024, 7, 1), TODAY)
    assert ctl.preset_range("ytd", TODAY) == (dt.date(2025, 1, 1), TODAY)


def test_range_with_start_after_end_is_swapped_with_a_message():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2025, 5, 1), dt.date(2025, 4, 1)), TODAY,
                          (dt.date(2024, 1, 1), TODAY))
    assert (r.date_from, r.date_to) == (dt.date(2025, 4, 1), dt.date(2025, 5, 1))
    assert "swapped" in r.messages[0]


def test_range_outside_the_data_moves_to_the_latest_data():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2020, 1, 1), dt.date(2020, 1, 31)), TODAY,
                          (dt.date(2024, 1, 1), dt.date(2025, 5, 31)))
    assert (r.date_from, r.date_to) == (dt.date(2025, 5, 1), dt.date(2025, 5, 31))
    assert "No data" in r.messages[0]


def test_range_in_the_future_ends_today_and_starts_at_the_first_data():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2025, 6, 1), dt.date(2026, 1, 1)), TODAY,
                          (dt.date(2025, 6, 10), TODAY))
    assert (r.date_from, r.date_to) == (dt.date(2025, 6, 10), TODAY)
    assert len(r.messages) == 2


def test_preset_inside_the_data_needs_no_message():
    r = ctl.resolve_range(ctl.Controls("30d"), TODAY, (dt.date(2024, 1, 1), TODAY - dt.timedelta(days=1)))
    assert r.messages == () and (r.date_from, r.date_to) == (dt.date(2025, 6, 1), TODAY)


def test_long_ranges_get_a_coarser_granularity():
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(2015, 1, 1), TODAY, "day"), TODAY, None)
    assert r.granularity == "week" and (r.date_to - r.date_from).days / 7 <= ctl.MAX_BUCKETS
    assert "per week" in r.messages[-1]
    # Dates outside 2000-01-01 .. 2100-12-31 are kept inside them, and at most ten years show.
    r = ctl.resolve_range(ctl.Controls("custom", dt.date(1, 1, 1), dt.date(9999, 12, 1), "day"), TODAY, None)
    assert r.date_to == TODAY and (r.date_to - r.date_from).days + 1 == 3653
    assert r.granularity == "week"
    assert any("between 1 Jan 2000 and 31 Dec 2100" in m for m in r.messages)
    assert any("At most 10 years" in m for m in r.messages)
    assert ctl.resolve_range(ctl.Controls("12m"), TODAY, None).granularity == "day"


# --- KPI cards and the revision history --------------------------------------------------------
def _card_texts(card) -> str:
    out = []

    def walk(node):
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, (list, tuple)):
            for n in node:
                walk(n)
        elif node is not None and hasattr(node, "children"):
            walk(node.children)

    walk(card)
    return " ".join(out)


def _cards(by_metric, **kw):
    from dashboard.pages.company import kpi_cards

    return {c.children.id.removeprefix("rb-kpi-"): _card_texts(c) for c in kpi_cards(by_metric, **kw)}


FULL = {
    "followers": {"value": 89_100, "previous": 50_000, "change": 39_100, "change_percent": 78.2},
    "reach": {"value": 7.3e6, "previous": 1.7e6, "change": 5.6e6, "change_percent": 337.3},
    "engagement_rate": {"value": 0.0566, "previous": 0.044, "change": 0.0126, "change_percent": 28.3},
    "mentions": {"value": 13_700, "previous": 5000, "change": 8700, "change_percent": 170.1},
    "mentions_positive": {"value": 6900}, "mentions_neutral": {"value": 5700}, "mentions_negative": {"value": 1200},
    "sentiment_score": {"value": 0.42},
    "cost_per_1k_reach": {"value": 19.35, "previous": 5.29, "change": 14.06, "change_percent": 265.9},
}


def test_kpi_cards_without_data_say_so_in_words():
    cards = _cards({"followers": FULL["followers"], "reach": {"value": None, "change": None},
                    "mentions": {"value": None}, "mentions_positive": {"value": None}})
    assert "No mention data in this period" in cards["mentions"]
    assert "No reach data in this period" in cards["reach"]
    assert "No engagement data in this period" in cards["engagement_rate"]
    assert "No cost data in this period" in cards["cost_per_1k_reach"]
    for key in ("reach", "engagement_rate", "mentions", "cost_per_1k_reach"):
        assert "–" not in cards[key] and "+" not in cards[key], cards[key]
    assert "89.1k" in cards["followers"] and "+39.1k (+78.2%) vs previous period" in cards["followers"]


def test_kpi_card_with_a_value_but_no_previous_period_and_a_partial_sentiment_split():
    cards = _cards({"mentions": {"value": 40, "change": None}, "mentions_positive": {"value": 25}})
    assert "No data for the previous period" in cards["mentions"]
    assert "+25" in cards["mentions"] and "–" not in cards["mentions"]


def test_kpi_cards_say_when_the_previous_period_is_only_partly_covered():
    partial = _cards(FULL, previous_from=dt.date(2024, 11, 23), data_start=dt.date(2025, 5, 24))
    for key, text in partial.items():
        assert "Previous period only partly covered" in text, key
        assert "%" not in text.replace("5.66%", ""), (key, text)  # no inflated percentage
    covered = _cards(FULL, previous_from=dt.date(2024, 11, 23), data_start=dt.date(2024, 1, 1))
    assert "+5.6M (+337.3%) vs previous period" in covered["reach"]
    assert "partly" not in " ".join(_cards(FULL).values())  # without the data range: as before


def test_cost_card_without_spend_says_so_instead_of_a_zero_cost():
    cards = _cards({**FULL, "cost_per_1k_reach": {"value": 0.0, "previous": 5.29, "change": -5.29,
                                                  "change_percent": -100.0}})
    assert "No spend in this period" in cards["cost_per_1k_reach"]
    assert "0.00" not in cards["cost_per_1k_reach"] and "100" not in cards["cost_per_1k_reach"]
    assert "19.35" in _cards(FULL)["cost_per_1k_reach"]


def test_revision_history_names_the_changed_parts_in_words_and_keeps_it_short():
    from dashboard.pages.strategy import changed_fields

    assert changed_fields({"audiences": 1, "channel_plan": 1, "launch_plan": 1}) == "Audiences, channels, launch plan"
    many = {k: 1 for k in ("audiences", "business_alignment", "channel_plan", "launch_plan", "objective",
                           "personality", "review_cadence")}
    assert changed_fields(many) == "Audiences, business alignment, channels, launch plan and 3 more"
    assert changed_fields({}) == "–" and changed_fields(None) == "–"


def test_a_range_of_a_few_days_is_labelled_by_day_and_a_lone_day_is_visible():
    one = built(figures.followers_figure([{"label": "Facebook", "platform": "facebook", "points": days(1)},
                                          {"label": "Instagram", "platform": "instagram", "points": days(1)}],
                                         days(1, base=2000)))
    axis = one.layout.xaxis
    assert axis.dtick == 86_400_000 and axis.tickformat == "%e %b %Y"
    assert list(axis.range) == [(D0 - dt.timedelta(days=1)).isoformat(), (D0 + dt.timedelta(days=1)).isoformat()]
    assert all(t.mode == "lines+markers" for t in one.data)  # a line of one point draws nothing
    week = built(figures.reach_figure(days(5), days(5)))
    assert week.layout.xaxis.dtick == 86_400_000 and week.layout.xaxis.range is None
    assert week.data[0].type == "bar" and week.data[0].width == 0.8 * 86_400_000
    # A longer range is left to plotly's own ticks.
    months = built(figures.engagement_figure(days(90, base=0.02, step=0.0)))
    assert months.layout.xaxis.dtick is None and months.layout.xaxis.tickformat is None


MARKUP = "<b>Bold</b> & <a href='https://evil.example'>link</a><br>%{y}"


def test_user_text_in_figures_is_plain_text():
    """Names, titles and labels a person typed are shown as typed: Plotly's label markup is
    escaped, after shortening, and a hover never runs "%{...}" from a name."""
    escaped = "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;a href='https://evil.example'&gt;link&lt;/a&gt;&lt;br&gt;%{y}"
    assert figures.plain(MARKUP) == escaped
    assert figures.plain("<b>" * 20, 10) == "&lt;b&gt;&lt;b&gt;&lt;b&gt;…"  # cut first, then escaped
    fig = figures.followers_figure([{"label": MARKUP, "platform": "blog", "points": [(D0, 5.0)]}],
                                   campaigns=[{"name": MARKUP, "start": D0, "end": D0}],
                                   target={"value": 10.0, "label": MARKUP})
    trace = fig["data"][0]
    assert trace["name"] == escaped and "%{fullData.name}" in trace["hovertemplate"]
    texts = [a["text"] for a in fig["layout"]["annotations"]] + [a.get("hovertext", "") for a in
                                                                 fig["layout"]["annotations"]]
    assert not any("<b>" in t or "<a " in t for t in texts), texts
    goals = figures.goals_figure([{"title": MARKUP, "status": "on_track", "percent": 50.0, "current": 1,
                                   "target": 2, "unit": "", "channel_label": MARKUP}])
    (label,) = goals["layout"]["annotations"]
    assert label["text"].startswith("<b>&lt;b&gt;Bold") and "<a " not in label["text"]  # our markup, their text escaped
    assert "<b>Bold" not in label["text"] and "· &lt;b&gt;Bold" in label["text"]
    assert goals["data"][1]["hovertext"][0].startswith("<b>&lt;b&gt;Bold")
    path = figures.goal_path_figure(MARKUP, [(D0, 1.0)], [])
    assert "<a " not in json.dumps(path["layout"]["title"])


def test_overlapping_campaigns_get_their_own_colours():
    """Issue 12, item 15: three campaigns overlapping in a 90-day chart are three colours (not one
    yellow wash), each label in its span's colour; one after another may share one."""
    campaigns = [{"name": "Spring", "start": D0, "end": D0 + dt.timedelta(days=40)},
                 {"name": "Launch", "start": D0 + dt.timedelta(days=10), "end": D0 + dt.timedelta(days=20)},
                 {"name": "Blends", "start": D0 + dt.timedelta(days=15), "end": D0 + dt.timedelta(days=60)},
                 {"name": "Autumn", "start": D0 + dt.timedelta(days=70), "end": D0 + dt.timedelta(days=80)}]
    assert figures.campaign_colours(campaigns) == [0, 1, 2, 0]
    fig = figures.followers_figure([{"label": "fb", "platform": "facebook", "points": days(90)}], campaigns=campaigns)
    fills = [s["fillcolor"] for s in fig["layout"]["shapes"] if s["type"] == "rect"]
    assert len(set(fills[:3])) == 3 and fills[3] == fills[0]
    label_colours = [a["font"]["color"] for a in fig["layout"]["annotations"] if a["text"] in ("Spring", "Launch")]
    assert label_colours == [theme.CAMPAIGN_COLOURS[0][1], theme.CAMPAIGN_COLOURS[1][1]]


def test_the_follower_axis_fits_the_lines_and_can_show_last_year():
    """Growth from 19.1k to 19.3k is not drawn from 0; last year's line is dotted and grey."""
    fig = built(figures.followers_figure([{"label": "fb", "platform": "facebook",
                                           "points": days(30, base=19_100, step=7)}],
                                         year_earlier=days(30, base=15_000, step=5)))
    low, high = fig.layout.yaxis.range
    assert 14_000 < low < 15_000 and 19_303 < high < 20_000
    last_year = [t for t in fig.data if t.name == "A year earlier"]
    assert len(last_year) == 1 and last_year[0].line.dash == "dot"
    # Lines of very different size: 0 is close to the lowest, so the axis starts there.
    mixed = built(figures.followers_figure([{"label": "a", "platform": "x", "points": days(5, base=500)},
                                            {"label": "b", "platform": "y", "points": days(5, base=80_000)}]))
    assert mixed.layout.yaxis.range[0] == 0
