"""Browser benchmark (issue 20): the dashboard in Chromium on an emulated 4G link.

The product is served as ``make run`` serves it (gunicorn, 2 workers × 4 threads, production
settings) on a scratch SQLite database holding the demo (``flask seed-demo``). Chromium is
driven by Playwright through the DevTools protocol, with the network emulated at 9 Mbit/s down,
3 Mbit/s up and a 40 ms round trip. Bytes are the protocol's ``encodedDataLength`` (what crossed
the wire: headers plus the body as sent, compressed or not), summed over every request of a step.

The steps, each from a fresh browser context (so from a cold cache), repeated ``rounds`` times:

- **portfolio**: the login form submitted → the portfolio grid drawn with its sparklines;
- **company, cold**: the browser cache emptied, then the portfolio's company link clicked → the
  company page with every chart drawn;
- **company, warm**: back to the portfolio and the same link again (everything cacheable is in
  the cache) → every chart drawn;
- **control change**: the granularity set to weeks → every chart redrawn.

A step ends when its page is drawn (no Dash component waiting for a callback) and the protocol has
reported no network event for ``QUIET_MS``; its time runs to the moment the page was first seen
drawn, so the quiet wait is not counted. (Open requests are not waited for: dash-renderer
sometimes starts a callback request that it drops before it is sent, and the protocol never
reports it finished.)
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .server import ROOT, Gunicorn, app_environment

LINK = {"down_mbit": 9.0, "up_mbit": 3.0, "rtt_ms": 40.0}
BROWSER_TARGETS = {  # (seconds, bytes)
    "portfolio": (2.0, None),
    "company_cold": (2.5, 1_500_000),
    "company_warm": (1.0, 150_000),
}
STEPS = ("portfolio", "company_cold", "company_warm", "control_change")
QUIET_MS = 300
STEP_TIMEOUT_S = 60
COMPRESSION_SETTLE_S = 20
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--disable-dev-shm-usage"]
VIEWPORT = {"width": 1366, "height": 768}
MIN_CHARTS = 4

# Drawn: every Plotly chart has its SVG, there are at least MIN_CHARTS of them, and no Dash
# component is waiting for a callback.
CHARTS_DRAWN = f"""() => {{
    const plots = document.querySelectorAll('.js-plotly-plot');
    if (plots.length < {MIN_CHARTS}) return false;
    for (const p of plots) {{ if (!p.querySelector('.main-svg')) return false; }}
    return !document.querySelector('[data-dash-is-loading="true"]');
}}"""
GRID_DRAWN = """() => document.querySelectorAll('.ag-row .ag-cell a').length > 0
    && document.querySelectorAll('.rb-spark').length > 0
    && !document.querySelector('[data-dash-is-loading="true"]')"""


class BrowserBenchError(RuntimeError):
    """The browser benchmark could not measure (no Chromium, the server did not start ...)."""


class Meter:
    """Requests and bytes seen through the DevTools protocol since the last ``reset``."""

    def __init__(self, cdp):
        self.cdp = cdp
        self.pending: dict[str, str] = {}
        self.last_event = time.perf_counter()
        self.reset()
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def reset(self) -> None:
        self.requests = 0
        self.bytes = 0
        self.failed: list[str] = []
        self.transfers: dict[str, int] = {}  # url → bytes, for the report's largest transfers

    def _sent(self, event) -> None:
        self.requests += 1  # a redirect goes on under the same requestId: counted again
        self.pending[event["requestId"]] = event["request"]["url"]
        self.last_event = time.perf_counter()

    def _finished(self, event) -> None:
        size = int(event.get("encodedDataLength") or 0)
        self.bytes += size
        url = self.pending.get(event["requestId"])
        if url is not None:
            self.transfers[url] = self.transfers.get(url, 0) + size
        self.pending.pop(event["requestId"], None)
        self.last_event = time.perf_counter()

    def _failed(self, event) -> None:
        if not event.get("canceled"):
            self.failed.append(event.get("errorText", "failed"))
        self.pending.pop(event["requestId"], None)
        self.last_event = time.perf_counter()


def _holds(page, condition: str) -> bool:
    """Whether ``condition`` holds on the page; False while a navigation replaces the document (a
    click on a link inside a grid cell may load the page the grid's callback also opens)."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return bool(page.evaluate(condition))
    except PlaywrightError as err:
        if "context was destroyed" in str(err) or "navigat" in str(err):
            return False
        raise


def settle(page, meter: Meter, condition: str, started: float) -> float:
    """Seconds from ``started`` until ``condition`` held with the network quiet for QUIET_MS."""
    deadline = started + STEP_TIMEOUT_S
    drawn_at: float | None = None
    while time.perf_counter() < deadline:
        page.wait_for_timeout(15)  # lets Playwright deliver the protocol's events
        now = time.perf_counter()
        if not _holds(page, condition):
            drawn_at = None
            continue
        if drawn_at is None:
            drawn_at = now
        if (now - max(meter.last_event, drawn_at)) * 1000 >= QUIET_MS:
            return drawn_at - started
    waiting = list(meter.pending.values())[:5]
    raise BrowserBenchError(f"the page was not drawn within {STEP_TIMEOUT_S} s ({page.url}); "
                            f"requests still open: {waiting}; failed: {meter.failed[:5]}; "
                            f"drawn: {page.evaluate(condition)}")


def _step(page, meter: Meter, action, condition: str) -> dict:
    meter.reset()
    started = time.perf_counter()
    action()
    seconds = settle(page, meter, condition, started)
    if meter.failed:
        raise BrowserBenchError(f"requests failed while measuring {page.url}: {meter.failed[:5]}")
    largest = sorted(meter.transfers.items(), key=lambda kv: -kv[1])[:8]
    return {"seconds": round(seconds, 3), "bytes": meter.bytes, "requests": meter.requests,
            "largest": [{"url": "/" + url.split("/", 3)[-1], "bytes": size}
                        for url, size in largest]}


def one_round(browser, base_url: str, email: str, password: str) -> dict:
    context = browser.new_context(viewport=VIEWPORT, base_url=base_url)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": LINK["rtt_ms"],
            "downloadThroughput": LINK["down_mbit"] * 1_000_000 / 8,
            "uploadThroughput": LINK["up_mbit"] * 1_000_000 / 8,
        })
        meter = Meter(cdp)
        page.goto("/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        out = {"portfolio": _step(page, meter, lambda: page.click("button[type=submit]"), GRID_DRAWN)}
        link = page.locator(".ag-row .ag-cell a").first
        company_url = link.get_attribute("href")
        cdp.send("Network.clearBrowserCache")
        out["company_cold"] = _step(page, meter, link.click, CHARTS_DRAWN)
        page.goto("/dashboard/")
        settle(page, meter, GRID_DRAWN, time.perf_counter())
        link = page.locator(f".ag-row .ag-cell a[href='{company_url}']").first
        out["company_warm"] = _step(page, meter, link.click, CHARTS_DRAWN)
        out["control_change"] = _step(page, meter, lambda: page.click("label:has-text('Week')"), CHARTS_DRAWN)
        out["company_url"] = company_url
        return out
    finally:
        context.close()


def _median(rounds: list[dict], step: str, key: str) -> float:
    return statistics.median(r[step][key] for r in rounds)


def summarise(rounds: list[dict]) -> dict:
    steps = {}
    for step in STEPS:
        seconds_target, bytes_target = BROWSER_TARGETS.get(step, (None, None))
        seconds = _median(rounds, step, "seconds")
        size = int(_median(rounds, step, "bytes"))
        verdicts = []
        if seconds_target is not None:
            verdicts.append(seconds <= seconds_target)
        if bytes_target is not None:
            verdicts.append(size <= bytes_target)
        steps[step] = {
            "seconds": round(seconds, 3), "bytes": size,
            "requests": int(_median(rounds, step, "requests")),
            "seconds_all": [r[step]["seconds"] for r in rounds],
            "target_seconds": seconds_target, "target_bytes": bytes_target,
            "pass": all(verdicts) if verdicts else None,
        }
    return steps


def _flask(args: list[str], env: dict[str, str]) -> None:
    flask = Path(sys.executable).with_name("flask")
    head = [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]
    done = subprocess.run(head + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise BrowserBenchError(f"flask {' '.join(args)} failed: {done.stderr.strip()[-800:]}")


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise BrowserBenchError("Chromium is not installed (no 'chromium' on PATH): apt-get install -y chromium")
    return path


def measure(progress, log_dir: Path, rounds: int = 3) -> dict:
    """The browser figures on the demo; raises BrowserBenchError when it cannot measure."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from backend.demo import DEMO_PASSWORD, OWNER_EMAIL

    executable = chromium_path()
    with tempfile.TemporaryDirectory(prefix="rb-browser-bench-") as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        server = Gunicorn(url, log_dir / "gunicorn-browser.log")
        env = {**os.environ, **app_environment(url, server.secret_key), "FLASK_APP": "wsgi"}
        env.pop("REDIS_URL", None)
        with progress.step("demo database (migrations, flask seed-demo)"):
            _flask(["db", "upgrade"], env)
            # The demo's people have .test addresses, which production refuses to send to: the demo
            # is seeded as in development (make run), then served with the production settings.
            _flask(["seed-demo"], {**env, "REACHBOARD_ENV": "development"})
        with progress.step(f"gunicorn on port {server.port}"):
            try:
                server.start()
            except RuntimeError as err:
                raise BrowserBenchError(str(err)) from err
        try:
            results = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
                try:
                    one_round(browser, server.base_url, OWNER_EMAIL, DEMO_PASSWORD)  # warm-up
                    # Each worker recompresses the bundles the warm-up asked for at brotli 11 in
                    # a background thread (backend/compression.py, ~13 s): measure what a running
                    # server sends, not its first minute.
                    time.sleep(COMPRESSION_SETTLE_S)
                    for i in range(rounds):
                        with progress.step(f"browser round {i + 1}/{rounds}"):
                            results.append(one_round(browser, server.base_url, OWNER_EMAIL, DEMO_PASSWORD))
                except PlaywrightError as err:
                    raise BrowserBenchError(f"the browser failed: {err}") from err
                finally:
                    browser.close()
        finally:
            server.stop()
    return {"link": LINK, "rounds": results, "steps": summarise(results)}


def table(result: dict) -> str:
    """The browser figures as a plain-text table."""
    labels = {"portfolio": "login → portfolio grid drawn", "company_cold": "portfolio → company page, cold cache",
              "company_warm": "portfolio → company page, warm", "control_change": "control change → charts redrawn"}
    head = ("browser step (9/3 Mbit/s, 40 ms)", "time (median)", "wire", "requests", "target", "result")
    rows = []
    for step, label in labels.items():
        s = result["steps"][step]
        target = []
        if s["target_seconds"] is not None:
            target.append(f"≤ {s['target_seconds']:.1f} s")
        if s["target_bytes"] is not None:
            target.append(f"≤ {s['target_bytes'] / 1000:,.0f} KB")
        verdict = {True: "pass", False: "FAIL", None: "—"}[s["pass"]]
        rows.append((label, f"{s['seconds']:.2f} s", f"{s['bytes'] / 1000:,.0f} KB", str(s["requests"]),
                     ", ".join(target) or "—", verdict))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head), "  ".join("-" * w for w in widths), *(fmt.format(*r) for r in rows)])

