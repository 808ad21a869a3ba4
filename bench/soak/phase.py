"""The soak's load phase on one running server: every loop started together, a resource sample
at the start and at the end of every 30 s interval, everything stopped at the end — or at once
when something the figures depend on fails (wrk, a loop, the server), which raises SoakError.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from .jobs import WebhookReceiver, reporter
from .ledger import Ledger
from .load import Connection, DashboardSession, Plan, Recorder, dashboard, importer, pusher, run_bounded
from .probes import ServerGone, Watcher, resource_sample
from .settings import INTERVAL_SECONDS, SoakSettings
from .tenant import SoakTenant, read_paths
from .wrk import WrkError, WrkSlices


class SoakError(RuntimeError):
    """The soak cannot produce honest figures: the message says why."""


class Loop:
    """One bounded load loop in a thread; an exception it did not expect stops the soak."""

    def __init__(self, name: str, period: float, max_count: int, deadline: float, stop: threading.Event,
                 body: Callable[[int], None]):
        self.name, self.period, self.max_count = name, period, max_count
        self.deadline, self.stop, self.body = deadline, stop, body
        self.count = 0
        self.crash: str | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        try:
            self.count = run_bounded(self.period, self.max_count, self.deadline, self.stop, self.body)
        except Exception as err:  # noqa: BLE001 - reported as the soak's failure
            self.crash = f"{type(err).__name__}: {err}"
            self.stop.set()


def channel_shares(channels: list[str], pushers: int, csv_channels: int) -> tuple[list[list[str]], list[str]]:
    """Which channels each pusher owns (round robin) and which the CSV importer owns (the last)."""
    csv = channels[len(channels) - csv_channels:] if csv_channels else []
    pushed = channels[: len(channels) - csv_channels]
    return [pushed[i::pushers] for i in range(pushers)], csv


def run_load(port: int, tenant: SoakTenant, settings: SoakSettings, probe, master_pid: int, progress,
             consumer_pid: int | None = None, receiver: WebhookReceiver | None = None) -> dict:
    """Run the mixed load for ``settings.intervals`` intervals; returns the raw records (samples,
    wrk slices, resource rows, the ledger, counts per loop). With a consumer (its pid) the job
    load runs too: a report's PDF every ``report_period`` seconds, and the webhook deliveries the
    ``receiver`` records."""
    base = f"http://127.0.0.1:{port}"
    main = tenant.main
    plan = Plan(tenant.channels, settings.metrics, tenant.first_day, tenant.last_day)
    shares, csv_owned = channel_shares(tenant.channels, settings.pushers, settings.csv_channels)
    stop = threading.Event()
    ledger = Ledger()
    write_headers = {"Authorization": f"Bearer {main.api_key}"}
    connections: list[Connection] = []
    try:
        session = DashboardSession(port, tenant.viewer_email, tenant.viewer_password)
    except (OSError, RuntimeError) as err:
        raise SoakError(f"the dashboard's person could not log in: {err}") from None
    slices: dict[int, dict] = {}
    wrk = WrkSlices(base, read_paths(main.company_id, tenant.last_day), tenant.read_key, settings.intervals,
                    INTERVAL_SECONDS, settings.wrk_connections, settings.wrk_think_ms, settings.wrk_timeout_s,
                    lambda i, figures: slices.__setitem__(i, figures))
    watcher = Watcher(probe, master_pid, consumer=consumer_pid)
    started, started_at = time.monotonic(), time.time()
    recorder = Recorder(started)
    if receiver is not None:
        receiver.recorder_ref = lambda: recorder
    deadline = started + settings.seconds
    loops: list[Loop] = []
    for i, owned in enumerate(shares):
        conn = Connection(port, write_headers)
        connections.append(conn)
        loops.append(Loop(f"pusher-{i + 1}", settings.push_period, settings.bound(settings.push_period), deadline,
                          stop, pusher(conn, recorder, ledger, plan, main.company_id, owned, settings.new_days,
                                       settings.corrected_days, settings.corrected_metrics)))
    if csv_owned:
        conn = Connection(port, write_headers)
        connections.append(conn)
        loops.append(Loop("csv-importer", settings.csv_period, settings.bound(settings.csv_period), deadline, stop,
                          importer(conn, recorder, ledger, plan, main.company_id, csv_owned, settings.csv_new_days,
                                   settings.corrected_days)))
    loops.append(Loop("dashboard", settings.dashboard_period, settings.bound(settings.dashboard_period), deadline,
                      stop, dashboard(session, recorder, main.company_id)))
    if consumer_pid is not None:
        conn = Connection(port, write_headers)
        connections.append(conn)
        loops.append(Loop("reports", settings.report_period, settings.bound(settings.report_period), deadline, stop,
                          reporter(conn, recorder, main.company_id, tenant.last_day, stop)))
    resources: list[dict] = []
    pinned = "pinned to its own core" if wrk.pinned else "not pinned"
    progress.say(f"load: {settings.pushers} pushers every {settings.push_period:g} s, a CSV import every "
                 f"{settings.csv_period:g} s, the company page every {settings.dashboard_period:g} s, "
                 + (f"a report PDF every {settings.report_period:g} s and a webhook per write (job consumer), "
                    if consumer_pid is not None else "") + f"wrk "
                 f"{settings.wrk_connections} connections ({pinned}); "
                 f"{settings.intervals} × {INTERVAL_SECONDS} s")
    try:
        resources.append(resource_sample(0.0, master_pid, probe, consumer=consumer_pid))
        watcher.start()
        wrk.start()
        for loop in loops:
            loop.thread.start()
        for i in range(1, settings.intervals + 1):
            _wait_until(started + i * INTERVAL_SECONDS, stop, wrk, loops)
            resources.append(resource_sample(time.monotonic() - started, master_pid, probe, watcher.take(),
                                             consumer_pid))
            slice_due = time.monotonic() + 2  # wrk's slice ends a moment after the interval
            while i - 1 not in slices and time.monotonic() < slice_due and wrk.error is None:
                time.sleep(0.05)
            _say_interval(progress, i, recorder, slices.get(i - 1), resources[-1])
    except ServerGone as err:
        raise SoakError(f"{err}: see the server's log") from None
    finally:
        stop.set()
        for loop in loops:
            loop.thread.join(60)
        failed = _stop_wrk(wrk, settings.intervals, slices)
        watcher.stop()
        session.close()
        for conn in connections:
            conn.close()
    if failed:
        raise SoakError(failed)
    return {"samples": recorder.samples, "slices": slices, "resources": resources, "ledger": ledger,
            "errors": {"count": recorder.error_count, "messages": recorder.messages, "retries": recorder.retries,
                       "retry_reasons": recorder.retry_reasons},
            "loops": {loop.name: loop.count for loop in loops}, "wrk_pinned": wrk.pinned,
            "started_at": started_at, "seconds": round(time.monotonic() - started, 1)}


def _wait_until(when: float, stop: threading.Event, wrk: WrkSlices, loops: list[Loop]) -> None:
    """Sleep until ``when``; raise SoakError as soon as wrk or a loop fails."""
    while True:
        if wrk.error:
            raise SoakError(f"lost the load generator: {wrk.error}")
        crashed = next((loop for loop in loops if loop.crash), None)
        if crashed is not None:
            raise SoakError(f"load loop {crashed.name} failed: {crashed.crash}")
        if stop.is_set():
            raise SoakError("the load was stopped before its end")
        left = when - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


def _stop_wrk(wrk: WrkSlices, slices_wanted: int, slices: dict[int, dict]) -> str | None:
    """Let the last wrk slice end (it ends by itself with the run) and check that every slice has
    its figures; a message when not."""
    try:
        if len(slices) < slices_wanted and not wrk.done.is_set() and wrk.error is None:
            wrk.done.wait(INTERVAL_SECONDS + 15)  # the last slice started a little after its interval
        if not wrk.done.is_set():
            wrk.stop()
        wrk.join(15)
    finally:
        wrk.close()
    if wrk.error:
        return f"lost the load generator: {wrk.error}"
    if len(slices) < slices_wanted:
        return f"wrk gave figures for {len(slices)} of {slices_wanted} intervals"
    return None


def _say_interval(progress, i: int, recorder: Recorder, read: dict | None, res: dict) -> None:
    t0, t1 = (i - 1) * INTERVAL_SECONDS, i * INTERVAL_SECONDS
    counts: dict[str, int] = {}
    for t, kind, _, _ in recorder.samples:
        if t0 <= t < t1:
            counts[kind] = counts.get(kind, 0) + 1
    workers = [f"{p.get('rss_anon_mean_kb', 0) // 1024}/{p['rss_mean_kb'] // 1024}"
               for p in res["processes"] if p["role"] == "worker"]
    reads = f"reads {read['rps']:.1f}/s p99 {read['p99_ms']:.0f} ms" if read else "reads (slice still running)"
    wal = f", WAL peak {res['wal_peak_bytes'] / 1048576:.1f} MiB" if res.get("wal_peak_bytes") is not None else ""
    dead = res.get("tables", {}).get("metric_point")
    tuples = f", dead tuples {dead['dead']:,}" if dead else ""
    consumer = next((f", consumer {p.get('rss_anon_mean_kb', 0) // 1024}/{p['rss_mean_kb'] // 1024} MiB"
                     for p in res["processes"] if p["role"] == "consumer"), "")
    jobs = (f", webhooks {counts.get('webhook', 0)}, PDFs {counts.get('report_pdf', 0)}"
            if consumer else "")
    progress.say(f"  {t1:4d} s: {reads}; pushes {counts.get('push', 0)}, dashboard {counts.get('dashboard', 0)}, "
                 f"CSV {counts.get('csv_import', 0)}{jobs}; errors so far {recorder.error_count}; "
                 f"worker RSS anon/all {workers} MiB{consumer}{wal}{tuples}")


__all__ = ["SoakError", "WrkError", "run_load"]
