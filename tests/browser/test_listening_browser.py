"""The Listening page in a real browser (Chromium via Playwright): filters, a day's click-through,
the map drawn from the app's own world topojson with no request leaving 127.0.0.1, marking a
mention answered; a client viewer sees no answer controls.

Screenshots go to a temporary folder (``$TMPDIR/reachboard-listening-screens``), never into the
repository; the path is printed."""
from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from listening_seed import seed_listening

from dashboard.pages.listening import listening_url

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = Path(tempfile.gettempdir()) / "reachboard-listening-screens"


@pytest.fixture(scope="module")
def agency(live_server):
    tenant = live_server.build_tenant("Listening Agency")
    with live_server.acting(tenant):
        tenant.seed = seed_listening(tenant.company_a.id)
    return tenant


def shot(page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def local_only(page, live_server) -> list[str]:
    """Let requests to the live server through; abort and record every other one."""
    here = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def handle(route):
        if urlsplit(route.request.url).netloc == here:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    page.on("request", lambda r: elsewhere.append(r.url) if urlsplit(r.url).netloc != here
            and not r.url.startswith(("data:", "blob:")) else None)
    return elsewhere


def wait_for_page(page):
    page.wait_for_selector("#rb-listening-title")
    page.wait_for_function("document.querySelectorAll('#rb-listening-volume .barlayer .trace').length == 3",
                           timeout=45_000)


def test_staff_walk_the_listening_page(page, login, live_server, agency):
    elsewhere = local_only(page, live_server)
    topojson = []
    page.on("response", lambda r: topojson.append((r.url, r.status)) if "topojson" in r.url else None)
    login(page, agency.emails["owner"])
    page.goto(listening_url(agency.company_a.id))
    wait_for_page(page)
    # The map: the three countries filled, drawn on the world the app served.
    page.wait_for_function("document.querySelectorAll('#rb-listening-map .choroplethlocation').length == 3",
                           timeout=45_000)
    assert page.locator("#rb-listening-map .geo path").count() > 3  # the base map too (land, borders)
    assert topojson and all(urlsplit(u).path == "/dashboard/assets/vendor/topojson/world_110m.json" and s == 200
                            for u, s in topojson), topojson
    assert "Bengt Big" in page.inner_text("#rb-listening-voices")
    assert page.locator("#rb-listening-topics tr[data-topic]").count() == 2
    assert "60 min" in page.inner_text("#rb-listening-answer-time")
    shot(page, "listening-staff")

    # A filter: negative only.
    page.click("#rb-listening-sentiment")
    page.get_by_role("option", name="Negative").click()
    page.wait_for_function("document.querySelector('#rb-listening-period').innerText.startsWith('3 mentions')")
    page.wait_for_function("document.querySelectorAll('#rb-listening-map .choroplethlocation').length == 2")

    # Click the last day's bar: that day's negative mentions are listed.
    bars = page.locator("#rb-listening-volume .barlayer .trace:last-child .point path")
    box = bars.last.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#rb-listening-day-title")
    day = page.inner_text("#rb-listening-day")
    assert "Is my kettle part of the recall" in day and "The recall was handled badly" in day
    assert "Fast delivery" not in day  # positive, filtered out
    shot(page, "listening-day")

    # Mark the longest-waiting mention answered: the inbox shrinks.
    items = "#rb-listening-inbox li.list-group-item"
    assert page.locator(items).count() == 6
    first = page.locator(items).first.get_attribute("data-mention-id")
    page.locator(f"{items} .rb-answer").first.click()
    page.wait_for_function(f"document.querySelectorAll('{items}').length == 5")
    assert "Marked answered" in page.inner_text("#rb-listening-inbox-status")
    assert page.locator(f"{items}[data-mention-id='{first}']").count() == 0
    assert "Unanswered (5)" in page.inner_text("#rb-listening-inbox")
    shot(page, "listening-answered")

    page.reload()
    wait_for_page(page)
    assert page.locator(items).count() == 5
    errors = [e for e in page.rb_console_errors if "/favicon.ico]" not in e]
    assert not errors, (errors, page.rb_failed_requests)
    assert elsewhere == [], f"requests that left the server: {elsewhere}"


def test_a_viewer_sees_no_answer_buttons(page, login, live_server, agency):
    elsewhere = local_only(page, live_server)
    login(page, agency.emails["viewer"])
    page.goto(listening_url(agency.company_a.id))
    wait_for_page(page)
    page.wait_for_selector("#rb-listening-inbox li.list-group-item")
    assert page.locator("#rb-listening-inbox li.list-group-item").count() >= 5
    assert page.locator(".rb-answer").count() == 0 and page.locator(".rb-assign").count() == 0
    assert "Listening" in page.inner_text("header")
    shot(page, "listening-viewer")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
    page.wait_for_timeout(300)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The voices' table fits its panel (the handle gives way), rather than scrolling inside it.
    assert page.evaluate("(() => { const t = document.querySelector('#rb-listening-voices .table-responsive');"
                         " return t.scrollWidth <= t.clientWidth; })()")
    shot(page, "listening-viewer-phone")
    page.goto(listening_url(agency.company_b.id))
    page.wait_for_selector("#rb-not-found")
    assert agency.company_b.name not in page.content()
    assert elsewhere == []


def test_the_portfolios_unanswered_count_opens_the_listening_page_in_place(page, login, live_server, agency):
    """The count is a link (a new tab gets the page) and a grid cell: a plain click opens the
    Listening page through the grid's callback, without the link loading the page a second time."""
    login(page, agency.emails["owner"])
    page.goto("/dashboard/")
    link = page.locator(".ag-row a.rb-unanswered").first
    link.wait_for()
    assert link.get_attribute("href") == listening_url(agency.company_a.id)
    page.evaluate("window.rbSamePage = true")
    link.click()
    wait_for_page(page)
    assert urlsplit(page.url).path == listening_url(agency.company_a.id)
    page.wait_for_timeout(500)  # a second load, if the link also navigated, would have replaced the page
    assert page.evaluate("window.rbSamePage === true")
    assert page.locator("#rb-listening-inbox li.list-group-item").count() >= 5
