"""Dashboard callbacks in-process, through /dashboard/_dash-update-component as the browser
calls them: the data they return, empty states, and scoping (nothing of another tenant)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from dash_calls import call, company_inputs, find_values, route, texts

from dashboard import ids


@pytest.fixture
def seeded(app, tenants):
    from dashboard_seed import seed_company

    from backend.tenancy import Principal, acting_as

    mine, other = tenants
    with app.app_context():
        with acting_as(Principal.system(mine.agency_id, "test")):
            mine.seed = seed_company(mine.company_a.id)
        with acting_as(Principal.system(other.agency_id, "test")):
            other.seed = seed_company(other.company_a.id, days=40)
    return mine, other












def test_kpi_cards_show_the_api_summary_numbers(login_as, api, seeded):
    mine, _ = seeded
    client = login_as(mine, "owner")
    out = call(client, "rb-kpi-cards.children", company_inputs(mine.company_a.id, "30d"))
    end = dt.datetime.now(dt.UTC).date()
    start = end - dt.timedelta(days=29)
    summary = api(mine.keys["read"]).get(
        f"/api/v1/companies/{mine.company_a.id}/metrics/summary?from={start}&to={end}").json
    shown = find_values(out[ids.KPI_CARDS]["children"])
    assert set(shown) == {"followers", "reach", "engagement_rate", "mentions", "cost_per_1k_reach"}
    api_values = {m["metric"]: m["value"] for m in summary["metrics"] if m["metric"] in shown}
    assert len(api_values) == 5
    for metric, value in api_values.items():
        assert float(shown[metric]) == pytest.approx(value), metric
    assert api_values["followers"] == 1200 + 40 * 149 + 800 + 25 * 149
    assert "vs previous period" in texts(out[ids.KPI_CARDS])
    assert "Showing" in texts(out[ids.PERIOD_LABEL])


def test_charts_have_traces_per_channel_combined_target_and_campaign(login_as, api, seeded):
    mine, _ = seeded
    out = call(login_as(mine, "member"), "rb-kpi-cards.children", company_inputs(mine.company_a.id, "90d"))
    followers = out[ids.FOLLOWERS_GRAPH]["figure"]
    assert [t["name"] for t in followers["data"]] == ["Facebook page", "Instagram", "All channels"]
    assert len(followers["data"][0]["x"]) == 90 - 1  # 90 days up to today, data ends yesterday
    assert any(s["type"] == "line" and s["y0"] == 12000 for s in followers["layout"]["shapes"])
    assert any(s["type"] == "rect" for s in followers["layout"]["shapes"])  # the campaign
    assert [t["type"] for t in out[ids.REACH_GRAPH]["figure"]["data"]] == ["bar", "scatter"]
    assert out[ids.ENGAGEMENT_GRAPH]["figure"]["data"][0]["y"]
    # The follower lines per channel are the API's per-channel values; the total, its "all" series.
    end = dt.datetime.now(dt.UTC).date()
    start = end - dt.timedelta(days=89)
    client = api(mine.keys["read"])
    for channel, trace in (("facebook", 0), ("instagram", 1), ("all", 2)):
        reply = client.get(f"/api/v1/companies/{mine.company_a.id}/metrics?metric=followers&channel={channel}"
                         f"&from={start}&to={end}&granularity=day").json
        points = reply["series"][0]["points"]
        assert followers["data"][trace]["y"] == [p["value"] for p in points], channel
    assert all(t["y"] for t in followers["data"])


def test_goals_have_their_own_callback_by_company(login_as, seeded):
    mine, other = seeded
    client = login_as(mine, "member")
    out = call(client, "rb-goals-graph.figure", goal_inputs(mine.company_a.id))
    goals = out[ids.GOALS_GRAPH]["figure"]["data"][0]
    assert len(goals["y"]) == 2
    assert {o["value"] for o in out[ids.GOAL_SELECT]["options"]} == set(mine.seed["goal_ids"])
    assert out[ids.GOAL_SELECT]["value"] in mine.seed["goal_ids"]
    # Another agency's company: no goals of it.
    out = call(client, "rb-goals-graph.figure", goal_inputs(other.company_a.id))
    assert out[ids.GOAL_SELECT]["options"] == [] and not out[ids.GOALS_GRAPH]["figure"]["data"]
    assert "Not found" in texts(out)


def test_channel_filter_and_granularity(login_as, seeded):
    mine, _ = seeded
    out = call(login_as(mine, "owner"), "rb-kpi-cards.children",
               company_inputs(mine.company_a.id, "12m", granularity="week", channel="instagram"),
               changed=f"{ids.CHANNEL}.value")
    names = [t["name"] for t in out[ids.FOLLOWERS_GRAPH]["figure"]["data"]]
    assert names == ["Instagram"]
    assert len(out[ids.FOLLOWERS_GRAPH]["figure"]["data"][0]["x"]) <= 23  # 150 days in weeks


def test_data_callbacks_only_answer_changes(login_as, seeded):
    mine, _ = seeded
    deps = login_as(mine, "owner").get("/dashboard/_dash-dependencies").json
    by_output = {d["output"]: d for d in deps}
    url = next(d for d in deps if d["output"] == f"{ids.URL}.search")
    assert url["clientside_function"] == {"namespace": "reachboard", "function_name": "querystring"}
    for fragment in ("rb-kpi-cards.children", "rb-goals-graph.figure"):
        spec = next(d for o, d in by_output.items() if fragment in o)
        assert spec["prevent_initial_call"] is True
        assert f"{ids.URL}." not in spec["output"]  # every output is inside the page


def test_bad_range_gets_a_message_and_the_nearest_sensible_range(login_as, seeded):
    mine, _ = seeded
    out = call(login_as(mine, "owner"), "rb-kpi-cards.children",
               company_inputs(mine.company_a.id, "custom", "2001-02-01", "2001-01-01"),
               changed=f"{ids.DATE_RANGE}.start_date")
    message = texts(out[ids.RANGE_MESSAGE]["children"])
    assert "swapped" in message and "No data" in message
    assert out[ids.DATE_RANGE]["end_date"] == mine.seed["end"].isoformat()
    assert out[ids.FOLLOWERS_GRAPH]["figure"]["data"]  # the moved range has data


def goal_inputs(company_id, goal_id=None) -> dict:
    return {f"{ids.COMPANY_ID}.data": str(company_id), f"{ids.GOAL_SELECT}.value": goal_id}


def test_goal_path_shows_actual_and_needed(login_as, seeded):
    mine, _ = seeded
    goal_id = mine.seed["goal_ids"][0]
    out = call(login_as(mine, "viewer"), "rb-goal-path-graph.figure", goal_inputs(mine.company_a.id, goal_id),
               changed=f"{ids.GOAL_SELECT}.value")
    # Choosing a goal redraws its path only: the bars and the chooser stay as they are.
    assert set(out) == {ids.GOAL_PATH_GRAPH}
    fig = out[ids.GOAL_PATH_GRAPH]["figure"]
    assert [t["name"] for t in fig["data"]] == ["Needed to reach the target", "Actual"]
    assert fig["data"][0]["y"][-1] == 10000


def test_opening_the_page_draws_the_chosen_goals_path_in_the_same_request(login_as, seeded):
    mine, _ = seeded
    client = login_as(mine, "viewer")
    opened = call(client, "rb-goals-graph.figure", goal_inputs(mine.company_a.id))
    chosen = opened[ids.GOAL_SELECT]["value"]
    assert chosen in mine.seed["goal_ids"]
    # The same figure as choosing that goal afterwards.
    picked = call(client, "rb-goal-path-graph.figure", goal_inputs(mine.company_a.id, chosen),
                  changed=f"{ids.GOAL_SELECT}.value")
    assert opened[ids.GOAL_PATH_GRAPH]["figure"] == picked[ids.GOAL_PATH_GRAPH]["figure"]
    assert len(opened[ids.GOAL_PATH_GRAPH]["figure"]["data"]) == 2


def test_a_company_without_goals_says_so_in_both_goal_charts(login_as, seeded):
    mine, _ = seeded
    out = call(login_as(mine, "owner"), "rb-goals-graph.figure", goal_inputs(mine.company_b.id))
    assert out[ids.GOAL_SELECT] == {"options": [], "value": None}
    assert "No sub-goals yet" in texts(out[ids.GOALS_GRAPH]) and "No sub-goals yet" in texts(out[ids.GOAL_PATH_GRAPH])


# --- scoping: what the browser sends cannot widen what is seen -------------------------------
def test_company_callback_for_another_agencys_company_returns_nothing_of_it(login_as, seeded):
    mine, other = seeded
    out = call(login_as(mine, "owner"), "rb-kpi-cards.children", company_inputs(other.company_a.id, "90d"))
    body = texts(out)
    assert out[ids.KPI_CARDS]["children"] == []
    assert not out[ids.FOLLOWERS_GRAPH]["figure"]["data"]
    assert other.company_a.name not in body and "Reach 10k" not in body
    assert "Not found" in body


def test_viewer_cannot_read_a_sibling_company_or_its_goal(login_as, seeded):
    mine, other = seeded
    viewer = login_as(mine, "viewer")
    out = call(viewer, "rb-kpi-cards.children", company_inputs(mine.company_b.id))
    assert out[ids.KPI_CARDS]["children"] == []
    # Own company, but a goal id of another agency: not found, no numbers.

    out = call(viewer, "rb-goal-path-graph.figure", goal_inputs(mine.company_a.id, other.seed["goal_ids"][0]),
               changed=f"{ids.GOAL_SELECT}.value")
    assert not out[ids.GOAL_PATH_GRAPH]["figure"]["data"]
    assert "Not found" in texts(out)
    # Another agency's company with its own goal id: nothing of either.
    out = call(viewer, "rb-goal-path-graph.figure", goal_inputs(other.company_a.id, other.seed["goal_ids"][0]),
               changed=f"{ids.GOAL_SELECT}.value")
    assert not out[ids.GOAL_PATH_GRAPH]["figure"]["data"] and "Not found" in texts(out)
    out = call(viewer, "rb-goal-path-graph.figure", goal_inputs(other.company_a.id))
    assert out[ids.GOAL_SELECT]["options"] == [] and not out[ids.GOAL_PATH_GRAPH]["figure"]["data"]


@pytest.mark.parametrize("path_of", [
    lambda mine, other: f"/dashboard/company/{other.company_a.id}",
    lambda mine, other: f"/dashboard/company/{other.company_a.id}/strategy",
    lambda mine, other: "/dashboard/company/not-a-uuid",
    lambda mine, other: "/dashboard/elsewhere",
])
def test_router_shows_not_found_for_foreign_or_unknown_pages(login_as, seeded, path_of):
    mine, other = seeded
    page = texts(route(login_as(mine, "owner"), path_of(mine, other)))
    assert "rb-not-found" in page
    assert other.company_a.name not in page and "Reach 10k" not in page


def test_viewer_never_sees_the_portfolio(login_as, seeded):
    mine, _ = seeded
    viewer = login_as(mine, "viewer")
    page = texts(route(viewer, "/dashboard/"))
    assert ids.PORTFOLIO_GRID not in page
    assert mine.company_a.name in page and mine.company_b.name not in page
    out = call(viewer, "rb-portfolio-grid.rowData", {f"{ids.PORTFOLIO_PRESET}.value": "30d"})
    assert out[ids.PORTFOLIO_GRID]["rowData"] == []


def test_portfolio_lists_exactly_the_agencys_companies(login_as, seeded):
    mine, other = seeded
    client = login_as(mine, "admin")
    assert ids.PORTFOLIO_GRID in texts(route(client, "/dashboard/"))
    rows = call(client, "rb-portfolio-grid.rowData",
                {f"{ids.PORTFOLIO_PRESET}.value": "30d"})[ids.PORTFOLIO_GRID]["rowData"]
    assert sorted(r["name"] for r in rows) == sorted([mine.company_a.name, mine.company_b.name])
    a = next(r for r in rows if r["name"] == mine.company_a.name)
    assert a["followers"] == 1200 + 40 * 149 + 800 + 25 * 149
    assert a["stale"] is False and a["spark"]
    # Every status has its column (missed and not started included), so the counts add up.
    from backend.services.goal_terms import STATUSES

    assert sum(a[s] for s in STATUSES) == len(mine.seed["goal_ids"])
    assert f"/dashboard/company/{mine.company_a.id}" in a["company"]
    b = next(r for r in rows if r["name"] == mine.company_b.name)
    assert b["stale"] is True and b["last_data_date"] is None


def test_company_without_data_shows_staff_a_push_that_works_as_pasted(app, login_as, seeded):
    from backend.services.accounts import create_user
    from backend.services.channels import create_channel
    from backend.tenancy import Principal, acting_as

    mine, _ = seeded
    owner = login_as(mine, "owner")
    url = f"/dashboard/company/{mine.company_b.id}"
    page = texts(route(owner, url))
    assert "rb-first-data" in page and ids.FOLLOWERS_GRAPH not in page
    assert "Add its channels" in page and "curl" not in page  # no channel yet: nothing could be pushed
    with app.app_context(), acting_as(Principal.system(mine.agency_id, "test")):
        create_channel(mine.company_b.id, {"key": "tiktok", "platform": "tiktok", "name": "TikTok"})
        create_user({"email": "b.viewer@acme.test", "password": "correct-horse-battery", "role": "viewer",
                     "company_ids": [mine.company_b.id]})
    page = texts(route(owner, url))
    assert f"/api/v1/companies/{mine.company_b.id}/metrics" in page and "curl -sS -X POST" in page
    assert '\\"Authorization: Bearer $REACHBOARD_API_KEY\\"' in page  # double quotes: the shell expands it
    assert '\\"channel\\": \\"tiktok\\"' in page and "facebook" not in page  # the company's own channel
    assert "records 0 followers for TikTok today" in page
    # A client viewer of that company sees no developer example.
    viewer_page = texts(route(_login(app, "b.viewer@acme.test"), url))
    assert "rb-first-data" in viewer_page and "curl" not in viewer_page and "agency is connecting" in viewer_page


def _login(app, email):
    from conftest import login

    return login(app.test_client(), email)


def test_company_page_controls_come_from_the_query_string(login_as, seeded):
    mine, _ = seeded
    start, end = mine.seed["start"] + dt.timedelta(days=10), mine.seed["start"] + dt.timedelta(days=70)
    page = texts(route(login_as(mine, "owner"), f"/dashboard/company/{mine.company_a.id}",
                       f"?range=custom&from={start}&to={end}&granularity=month&channel=facebook"))
    assert '"value": "custom"' in page and start.isoformat() in page and '"value": "month"' in page
    assert '"value": "facebook"' in page


def test_company_page_arrives_with_its_first_view_drawn(login_as, seeded):
    """One request: the router's page already holds the KPI cards, the charts, the goals and the
    chosen goal's path — the same as the callbacks answer for the same controls."""
    mine, _ = seeded
    client = login_as(mine, "owner")
    page = route(client, f"/dashboard/company/{mine.company_a.id}", "?range=90d")
    drawn = call(client, "rb-kpi-cards.children", company_inputs(mine.company_a.id, "90d"))
    assert find_values(page) == find_values(drawn[ids.KPI_CARDS]["children"]) != {}
    body = texts(page)
    for graph in (ids.FOLLOWERS_GRAPH, ids.REACH_GRAPH, ids.ENGAGEMENT_GRAPH):
        assert json.dumps(drawn[graph]["figure"]) in body
    goals = call(client, "rb-goals-graph.figure", goal_inputs(mine.company_a.id))
    assert json.dumps(goals[ids.GOALS_GRAPH]["figure"]) in body
    assert json.dumps(goals[ids.GOAL_PATH_GRAPH]["figure"]) in body
    assert "Loading" not in body
    # A range outside the stored data: the page says so beside the controls and shows data.
    moved = texts(route(client, f"/dashboard/company/{mine.company_a.id}",
                        "?range=custom&from=2001-01-01&to=2001-02-01"))
    assert "No data" in moved and mine.seed["end"].isoformat() in moved


def test_strategy_page_reads_as_a_document_with_goals_and_history(login_as, seeded):
    mine, _ = seeded
    page = texts(route(login_as(mine, "viewer"), f"/dashboard/company/{mine.company_a.id}/strategy"))
    assert "first choice" in page and "Commuters" in page and "Events and customer service" in page
    assert "12k followers" in page
    assert "Position in the field" in page and "Reach 10k followers" in page
    assert "rb-strategy-history" in page and "business alignment, channels, launch plan" in page
