"""The onboarding path of a new agency, in a real browser (Chromium via Playwright):

create a company → add its channels → fill in the strategy step by step → add two goals (with
the live preview) → create a key → push metrics with that key over HTTP → see them on the
company dashboard → add a client viewer and set the password through the one-time link → log
in as the viewer and see only that company, with no editing controls.
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import requests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OWNER_EMAIL = "founder@nordlys.test"
VIEWER_EMAIL = "anna@nordic-tea.test"
VIEWER_PASSWORD = "tea-is-a-feeling-42"


@pytest.fixture(scope="module")
def new_agency(live_server):
    """A brand-new agency with only its owner, as the CLI makes it; plus a neighbour agency."""
    from rb_root_conftest import PASSWORD

    from backend.services.accounts import create_agency

    with live_server.app.app_context():
        agency, _ = create_agency("Nordlys Agency", OWNER_EMAIL, PASSWORD)
        agency_id = agency.id
    neighbour = live_server.build_tenant("Neighbour Agency")
    return agency_id, neighbour


def test_onboarding_a_client_from_scratch(page, browser, live_server, login, screenshot, new_agency):
    _, neighbour = new_agency
    login(page, OWNER_EMAIL)

    # 1. Create the company.
    page.goto("/manage/companies")
    page.fill("#f-name", "Nordic Tea House")
    page.fill("#f-industry", "Tea retail")
    page.select_option("#f-timezone", "Europe/Oslo")  # a list of zones, not a box to type a name into
    screenshot(page, "admin-01-companies")
    page.click("text=Create company")
    # 2. Its channels first (the strategy's audiences and channel plan, and the pushes, name them).
    page.wait_for_url(re.compile(r"/manage/companies/[0-9a-f-]{36}/channels\?onboarding=1$"))
    company_id = re.search(r"/companies/([0-9a-f-]{36})/", page.url).group(1)
    assert "Add the company's channels first" in page.inner_text("[data-testid=next-step]")
    for key, platform, name in (("facebook", "facebook", "Nordic Tea on Facebook"),
                                ("instagram", "instagram", "@nordictea")):
        page.fill("#f-key", key)
        page.select_option("#f-platform", platform)
        page.fill("#f-name", name)
        page.click("button:has-text('Add channel')")
        page.wait_for_selector(f"[data-testid=channel-list] code:text-is('{key}')")
    screenshot(page, "admin-02-channels")

    # 3. The strategy, one question at a time, in the brief's order.
    page.click("[data-testid=next-step] a:has-text('Next: the strategy')")
    page.wait_for_selector("#step-objective:visible")
    assert page.is_hidden("#step-audiences")
    page.fill("#f-objective", "Become the first place people in Oslo ask about tea.")
    page.fill("#f-business_alignment", "Grow online sales by 20% and fill the tasting evenings.")
    screenshot(page, "admin-03-strategy-step1")
    page.click("[data-step-next]")
    page.fill("#f-audiences-0-name", "Curious tea drinkers")
    page.fill("#f-audiences-0-description", "25-45, city dwellers who like to learn")
    page.check("#a0-instagram")
    page.fill("#f-audiences-1-name", "Cafés and restaurants")
    page.check("#a1-facebook")
    screenshot(page, "admin-04-strategy-audiences")
    page.click("[data-step-next]")
    page.fill("#f-engagement_approach", "Answer every question within the hour; monthly tasting live streams.")
    page.click("[data-step-next]")
    page.fill("#f-personality", "Warm, knowledgeable, never pushy.")
    page.click("[data-step-next]")
    page.fill("#f-channel_plan-0-purpose", "Community and events")
    page.fill("#f-channel_plan-1-purpose", "Pictures of the teas and the shop")
    page.click("[data-step-next]")
    page.fill("#f-launch_plan-followers_target", "2000")
    page.fill("#f-launch_plan-target_date", (dt.date.today() + dt.timedelta(days=180)).isoformat())
    page.click("[data-step-next]")
    page.select_option("#f-review_cadence", "monthly")
    screenshot(page, "admin-05-strategy-review")
    page.click("button:has-text('Save and activate')")
    page.wait_for_selector("[data-testid=strategy-status]:text-is('active')")
    assert "revision 1" in page.inner_text("main")

    # 4. Two goals, watching the preview while the target is typed.
    # The company's today (Europe/Oslo): in UTC's last hour it is already tomorrow there, and the
    # dashboard's push example is dated by it.
    today = dt.datetime.now(ZoneInfo("Europe/Oslo")).date()
    goals = [
        ("Reach 2,000 followers", "customer_relations", "followers", "all", "2000"),
        ("30,000 people reached", "position_in_field", "reach", "instagram", "30000"),
    ]
    for title, category, metric, channel, target in goals:
        page.goto(f"/manage/companies/{company_id}/goals/new")
        page.fill("#f-title", title)
        page.check(f"#cat-{category}")
        page.select_option("#f-kpi-metric", metric)
        page.select_option("#f-kpi-channel", channel)
        page.fill("#f-kpi-start_date", (today - dt.timedelta(days=45)).isoformat())
        page.fill("#f-kpi-deadline", (today + dt.timedelta(days=120)).isoformat())
        page.type("#f-kpi-target", target, delay=30)
        page.wait_for_selector("[data-testid=goal-preview] [data-p=status]:not(:text-is('—'))")
        if metric == "followers":
            screenshot(page, "admin-06-goal-preview")
        page.click("button:has-text('Add goal')")
        page.wait_for_selector(f"[data-testid=goal-list] a:text-is('{title}')")
    screenshot(page, "admin-07-goals")

    # 5. A key for the data source: shown once, with a curl example.
    page.click("a.nav-link:has-text('Data connections')")
    page.fill("#f-name", "Scheduler export")
    assert page.is_checked("#scope-metrics-write")
    page.click("button:has-text('Create key')")
    key = page.input_value("[data-testid=new-key-value]")
    assert key.startswith("rb_")
    example = page.inner_text("[data-testid=curl-example]")
    assert example.startswith(f"export REACHBOARD_API_KEY={key}")
    screenshot(page, "admin-08-key")

    # 5b. The UI's own examples, pasted into a shell as they are, push what they say they push.
    page.goto(f"/dashboard/company/{company_id}")
    page.wait_for_selector("#rb-push-example")
    pasted = page.inner_text("#rb-push-example")
    assert "records 0 followers" in page.inner_text("#rb-push-explanation")
    answer = run_in_shell(pasted, key)
    assert answer == {"received": 1, "created": 1, "updated": 0, "unchanged": 0}, answer
    page.goto(f"/manage/companies/{company_id}/data")
    pasted = page.inner_text("[data-testid=curl-example]")  # re-sends what is stored: nothing changes
    assert run_in_shell(pasted, key) == {"received": 1, "created": 0, "updated": 0, "unchanged": 1}

    # 6. The third party pushes 60 days of metrics over HTTP with that key.
    points = []
    for i in range(60):
        day = (today - dt.timedelta(days=59 - i)).isoformat()
        points += [
            {"channel": "facebook", "metric": "followers", "date": day, "value": 800 + 6 * i},
            {"channel": "instagram", "metric": "followers", "date": day, "value": 300 + 4 * i},
            {"channel": "instagram", "metric": "reach", "date": day, "value": 400 + 5 * i},
            {"channel": "instagram", "metric": "engagements", "date": day, "value": 20 + i % 7},
        ]
    resp = requests.post(f"{live_server.url}/api/v1/companies/{company_id}/metrics",
                         json={"points": points}, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert resp.status_code == 200, resp.text
    # Today's Facebook followers, pushed by the examples as 0, get their real value.
    assert resp.json()["created"] == len(points) - 1 and resp.json()["updated"] == 1

    # 7. The company dashboard shows them: followers now 1,154 + 536 = 1,690 across channels.
    page.goto(f"/dashboard/company/{company_id}")
    page.wait_for_selector("#rb-kpi-followers [data-metric=followers][data-value='1690.0']")
    page.wait_for_selector("#rb-followers-graph .main-svg")
    screenshot(page, "admin-09-dashboard")
    assert page.get_attribute("#rb-manage-link", "href") == f"/manage/companies/{company_id}"
    page.goto(f"/manage/companies/{company_id}/goals")
    # The goal's current value, compact, with the exact figure on hover.
    assert page.get_attribute("[data-testid=goal-list] [data-value='1690.0']", "title") == "1,690"

    # 8. Invite the client: a viewer of this company, no password → one-time link.
    page.goto("/manage/people")
    page.fill("#f-email", VIEWER_EMAIL)
    page.check("#role-viewer")
    page.check(f"#co-{company_id}")
    page.click("button:has-text('Add person')")
    link = page.input_value("#password-link")
    assert "/set-password/" in link
    screenshot(page, "admin-10-people-link")
    page.goto("/manage/activity")
    activity = page.inner_text("[data-testid=activity]")
    for action in ("company.create", "channel.create", "strategy.update", "goal.create", "api_key.create",
                   "metrics.push", "user.create"):
        assert action in activity, action
    screenshot(page, "admin-11-activity")

    # 9. The client sets a password through the link and logs in.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768})
    try:
        client = context.new_page()
        client.goto(link)
        client.fill("#password", VIEWER_PASSWORD)
        client.fill("#confirm", VIEWER_PASSWORD)
        client.click("button:has-text('Set password')")
        # Setting the password logs the viewer in: straight to their company, no second login.
        client.wait_for_url(re.compile(r"/dashboard/company/"))
        # The viewer lands on their company; the dashboard has no editing controls.
        client.wait_for_selector("#rb-kpi-followers [data-metric=followers][data-value='1690.0']")
        assert company_id in client.url
        body = client.inner_text("body")
        assert "Nordic Tea House" in body
        assert "Portfolio" not in body
        assert client.locator("a[href^='/manage']").count() == 0
        # No form that changes anything but the person's own session and language.
        assert client.locator("form[method=post]:not([action='/logout']):not([action='/account/language']), "
                              "button:has-text('Save'), "
                              "button:has-text('Delete')").count() == 0
        screenshot(client, "admin-12-viewer-dashboard")
        # ... and the server refuses the admin pages, even typed by hand.
        resp = client.goto(f"/manage/companies/{company_id}/goals/new")
        assert resp.status == 403
        # Another agency's company does not exist for them.
        client.goto(f"/dashboard/company/{neighbour.company_a.id}")
        client.wait_for_selector("#rb-not-found")
        assert neighbour.company_a.name not in client.content()
    finally:
        context.close()
    assert not [e for e in page.rb_console_errors if "favicon" not in e], page.rb_console_errors


def run_in_shell(command: str, key: str) -> dict:
    """Run a command as a person would paste it into bash, with their key in the environment."""
    import json
    import os
    import subprocess

    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "REACHBOARD_API_KEY": key})
    assert done.returncode == 0, (done.stdout, done.stderr)
    return json.loads(done.stdout)
