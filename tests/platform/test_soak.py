"""The pure parts of ``make soak`` (bench/soak/), without a server: wrk's output read, the load
generator lost (missing, failing, killed — with a stand-in ``wrk`` script), requests grouped into
intervals, the targets judged, and acknowledged points checked against stored rows. The whole
soak runs in CI (`.ci/run`: ``make soak-quick``), not here: it takes minutes."""
from __future__ import annotations

import os
import stat
import threading
import time

import pytest

from bench.soak import analysis
from bench.soak.analysis import aggregate, evaluate, failed_hard, minute, rss_growth, timing_targets
from bench.soak.ledger import Ledger, check_stored
from bench.soak.load import run_bounded
from bench.soak.phase import channel_shares
from bench.soak.settings import MIB, SoakSettings
from bench.soak.wrk import MARKER, WrkError, WrkSlices, lua_script, parse_output, require_wrk

pytestmark = pytest.mark.no_db

WRK_STDOUT = f"""Running 30s test @ http://127.0.0.1:8000
  1 threads and 2 connections
  480 requests in 30.00s, 1.20MB read
{MARKER}{{"duration_us":30000000,"requests":480,"responses":480,"bytes":1258291,"non2xx":2,\
"errors":{{"connect":0,"read":1,"write":0,"status":2,"timeout":0}},\
"latency_us":{{"min":9000,"mean":41234.5,"max":812000,"p50":35000,"p90":70000,"p99":240500,"p999":800000}}}}
Requests/sec:     16.00
"""


# --- wrk -----------------------------------------------------------------------------------------
def test_wrk_figures_are_read_from_the_done_line():
    figures = parse_output(WRK_STDOUT)
    assert figures["requests"] == 480 and figures["seconds"] == 30.0 and figures["rps"] == 16.0
    assert (figures["p50_ms"], figures["p99_ms"], figures["max_ms"]) == (35.0, 240.5, 812.0)
    # Errors: the non-2xx answers (wrk's own "status" count is only ≥ 400) and the socket errors.
    assert figures["non2xx"] == 2 and figures["socket_errors"]["read"] == 1 and figures["errors"] == 3


@pytest.mark.parametrize("stdout", ["Running 30s test\n  0 requests in 30.00s\n", "", f"{MARKER}{{not json\n",
                                    f'{MARKER}{{"requests": 3}}\n'])
def test_wrk_without_a_readable_result_is_an_error(stdout):
    with pytest.raises(WrkError):
        parse_output(stdout)


def test_the_lua_script_rotates_the_paths_with_the_key_and_refuses_what_it_cannot_quote():
    script = lua_script(["/api/v1/companies/1", "/api/v1/companies/1/metrics/summary?from=2026-01-01"],
                        "rb_secret", 100, 640)
    assert '"/api/v1/companies/1/metrics/summary?from=2026-01-01"' in script
    assert '"Bearer rb_secret"' in script and "local think_ms = 100" in script and ">= max_requests" in script
    assert MARKER in script
    with pytest.raises(ValueError):
        lua_script(['/x"y'], "k", 1, 1)


def _fake_wrk(tmp_path, monkeypatch, body: str) -> None:
    """A stand-in ``wrk`` first on PATH (no taskset: the script is called as it is)."""
    path = tmp_path / "wrk"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path))


def _slices(n: int = 2) -> tuple[WrkSlices, dict]:
    got: dict[int, dict] = {}
    wrk = WrkSlices("http://127.0.0.1:9", ["/"], "k", n, 1, 1, 100, 1, got.__setitem__)
    wrk.start()
    assert wrk.done.wait(10)
    wrk.close()
    return wrk, got


def test_every_slice_of_a_working_wrk_is_recorded(tmp_path, monkeypatch):
    out = tmp_path / "out.txt"
    out.write_text(WRK_STDOUT)
    _fake_wrk(tmp_path, monkeypatch, f"while read -r line; do echo \"$line\"; done < {out}")  # builtins only
    wrk, got = _slices(3)
    assert wrk.error is None and sorted(got) == [0, 1, 2] and got[2]["requests"] == 480
    assert not os.path.exists(wrk.script)  # it held an API key


@pytest.mark.parametrize("body, message", [
    ("echo 'unable to connect' >&2; exit 1", "exited with status 1"),
    ("kill -9 $$", "killed by signal 9"),
    ("echo 'Running 30s test'", "no result line"),
])
def test_losing_wrk_stops_the_slices_with_a_clear_error(tmp_path, monkeypatch, body, message):
    _fake_wrk(tmp_path, monkeypatch, body)
    wrk, got = _slices(3)
    assert wrk.error is not None and message in wrk.error
    assert got == {}  # no partial figure


def test_a_missing_wrk_is_named_before_anything_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WrkError, match="apt-get install wrk"):
        require_wrk()
    from bench.soak.run import main

    assert main(["--quick", "--databases", "sqlite", "--output", str(tmp_path / "r.json")]) == 2
    assert not (tmp_path / "r.json").exists()


# --- load loops ------------------------------------------------------------------------------------
def test_a_loop_is_bounded_by_count_by_time_and_by_its_stop():
    stop = threading.Event()
    calls: list[int] = []
    assert run_bounded(0.0, 5, time.monotonic() + 10, stop, calls.append) == 5 and calls == [0, 1, 2, 3, 4]
    assert run_bounded(0.0, 1000, time.monotonic() - 1, stop, calls.append) == 0
    started = time.monotonic()
    assert run_bounded(0.05, 1000, time.monotonic() + 0.22, stop, lambda k: None) in (4, 5, 6)
    assert time.monotonic() - started < 1
    stop.set()
    assert run_bounded(0.0, 1000, time.monotonic() + 10, stop, calls.append) == 0


def test_each_channel_has_one_writer():
    channels = [f"c{i}" for i in range(10)]
    pushers, csv = channel_shares(channels, 2, 2)
    assert pushers == [["c0", "c2", "c4", "c6"], ["c1", "c3", "c5", "c7"]] and csv == ["c8", "c9"]
    owned = [c for share in pushers for c in share] + csv
    assert sorted(owned) == sorted(channels) and len(set(owned)) == len(owned)


# --- intervals and minutes ---------------------------------------------------------------------
def test_requests_are_grouped_by_the_interval_in_which_they_finished():
    samples = [(1.0, "push", 0.1, True), (29.9, "push", 0.3, True), (30.0, "push", 0.2, False),
               (95.0, "dashboard", 0.5, True)]  # after the last interval: counted in the last
    wrk = {0: {"requests": 300, "seconds": 30.0, "rps": 10.0, "p50_ms": 20.0, "p99_ms": 90.0, "errors": 0}}
    rows = aggregate(samples, 3, wrk)
    assert [r["t_end"] for r in rows] == [30, 60, 90]
    assert rows[0]["kinds"]["push"] == {"requests": 2, "seconds": 30, "rps": 0.07, "p50_ms": 200.0,
                                        "p99_ms": 298.0, "errors": 0}
    assert rows[1]["kinds"]["push"]["errors"] == 1 and rows[2]["kinds"]["dashboard"]["requests"] == 1
    assert rows[0]["kinds"]["read"]["rps"] == 10.0 and rows[1]["kinds"]["read"] is None
    assert rows[2]["kinds"]["csv_import"] == {"requests": 0, "seconds": 30, "rps": 0.0, "p50_ms": None,
                                              "p99_ms": None, "errors": 0}
    assert analysis.total_errors(rows) == 1


def _intervals(rps: list[float], p99: list[float], kinds=analysis.TIMED_KINDS) -> list[dict]:
    return [{"index": i, "t_end": 30 * (i + 1), "kinds": {
        k: {"requests": int(r * 30), "seconds": 30, "rps": r, "p50_ms": p / 3, "p99_ms": p, "errors": 0}
        for k in kinds}} for i, (r, p) in enumerate(zip(rps, p99, strict=True))]


def test_a_minute_is_two_intervals_its_p99_the_larger():
    rows = _intervals([10, 10, 12, 8, 10, 10], [100, 100, 90, 150, 100, 100])
    assert minute(rows, "read", analysis.SECOND_MINUTE) == {"requests": 600, "rps": 10.0, "p99_ms": 150}


def test_timing_targets_pass_fail_and_not_applicable():
    steady = {t["id"]: t for t in timing_targets(_intervals([10] * 6, [100] * 6), quick=False)}
    assert all(t["pass"] is True for t in steady.values()) and len(steady) == 8  # reads, pushes, dashboard, webhooks
    slower = {t["id"]: t for t in timing_targets(_intervals([10, 10, 10, 10, 8.5, 8.9], [100, 100, 100, 100, 100, 160]),
                                                 quick=False)}
    assert slower["throughput_read"]["pass"] is False and slower["p99_read"]["pass"] is False
    quick = timing_targets(_intervals([10] * 2, [1] * 2), True)
    assert all(t["pass"] is None and t["note"] == "n/a (quick)" for t in quick)
    short = timing_targets(_intervals([10] * 4, [1] * 4), False)
    assert all(t["pass"] is None and t["note"] == "n/a (shorter than 3 minutes)" for t in short)
    few = {t["id"]: t for t in timing_targets(_intervals([0.3] * 6, [100] * 6), quick=False)}
    assert few["p99_push"]["pass"] is None and "under 20 requests" in few["p99_push"]["note"]


def _resources(worker_rss: list[dict[int, int]], wal: list[int] | None = None, dead: list[int] | None = None):
    out = []
    for i, workers in enumerate(worker_rss):
        row = {"t": 30.0 * i, "processes": [{"pid": 1, "role": "master", "rss_kb": 20_000, "fds": 10}] + [
            {"pid": pid, "role": "worker", "rss_kb": kb + 30_000, "rss_mean_kb": kb, "fds": 40}
            for pid, kb in workers.items()],
            "db_bytes": 10 * MIB, "wal_peak_bytes": (wal or [0] * len(worker_rss))[i]}
        if dead is not None:
            row["tables"] = {"metric_point": {"live": 100_000, "dead": dead[i]}}
        out.append(row)
    return out


def test_worker_rss_is_the_last_minutes_mean_against_minute_twos():
    # Rows end at 0 (the start), 30, …, 180 s; minute 2 is the rows at 90 and 120 s.
    res = _resources([{2: 50_000, 3: 50_000}] * 3 + [{2: 90_000, 3: 100_000}, {2: 110_000, 3: 100_000},
                                                      {2: 100_000, 3: 130_000}, {2: 110_000, 3: 94_000}])
    growth = rss_growth(res)
    assert growth["growth"] == {2: 0.05, 3: 0.12} and growth["gone"] == []
    restarted = _resources([{2: 100_000, 3: 100_000}] * 6 + [{2: 100_000, 4: 60_000}])
    assert rss_growth(restarted)["gone"] == [3]
    assert rss_growth(res[:6]) == {"growth": {}, "gone": []}  # under 3 minutes: nothing to compare


def test_the_memory_target_judges_anonymous_rss_not_the_mapped_database_file():
    # Total RSS grows by half (SQLite's mmap of a growing file); the heap stays put.
    res = _resources([{2: 100_000}] * 3 + [{2: 150_000}] * 4)
    for i, row in enumerate(res):
        for p in row["processes"]:
            if p["role"] == "worker":
                p["rss_anon_mean_kb"] = 80_000 if i < 5 else 84_000
    assert rss_growth(res)["growth"] == {2: 0.05}


CLEAN = {"lost": 0, "duplicated": 0}


def test_every_target_of_a_quiet_full_run_on_each_database():
    rows = _intervals([10] * 6, [100] * 6)
    res = _resources([{2: 100_000, 3: 100_000}] * 7, wal=[0, 20 * MIB, 30 * MIB, 5 * MIB, 0, 0, 0])
    sqlite = {t["id"]: t for t in evaluate("sqlite", False, rows, res, 0, CLEAN, 0)}
    assert all(t["pass"] is True for t in sqlite.values()), sqlite
    assert sqlite["wal_max"]["value"] == "30.0 MiB" and "dead_tuples" not in sqlite
    pg_res = _resources([{2: 100_000, 3: 100_000}] * 7, dead=[0, 0, 0, 0, 9_000, 2_000, 12_000])
    pg = {t["id"]: t for t in evaluate("postgresql", False, rows, pg_res, None, CLEAN, 0, autovacuum="on")}
    assert "wal_max" not in pg and pg["dead_tuples"]["pass"] is False and pg["dead_tuples"]["value"] == "12.0%"
    off = {t["id"]: t for t in evaluate("postgresql", False, rows, pg_res, None, CLEAN, 0, autovacuum="off")}
    assert off["dead_tuples"]["pass"] is None and "autovacuum is off" in off["dead_tuples"]["note"]


def test_a_quick_run_judges_only_errors_points_and_the_wal():
    rows = _intervals([10] * 2, [100] * 2)
    res = _resources([{2: 100_000}] * 3, wal=[0, 70 * MIB, 0])
    targets = {t["id"]: t for t in evaluate("sqlite", True, rows, res, 4096, {"lost": 1, "duplicated": 0}, 2)}
    judged = {k for k, t in targets.items() if t["pass"] is not None}
    assert judged == {"errors", "lost", "duplicated", "wal_max", "wal_after"}
    assert [k for k, t in targets.items() if t["pass"] is False] == ["errors", "lost", "wal_max", "wal_after"]
    assert failed_hard({"targets": list(targets.values())})
    # A missed WAL or timing target is reported but is no hard failure (exit status 0).
    wal_only = [dict(t, **{"pass": t["id"] not in ("wal_max",)}) for t in targets.values()]
    assert not failed_hard({"targets": wal_only})


# --- acknowledged against stored ---------------------------------------------------------------
def test_acknowledged_points_against_stored_rows():
    ledger = Ledger()
    ledger.acknowledge([("fb", "reach", "2026-01-01", 10.0), ("fb", "reach", "2026-01-02", 11.0),
                        ("x", "likes", "2026-01-01", 3.0), ("x", "likes", "2026-01-02", 4.0),
                        ("x", "likes", "2026-01-03", 5.0)])
    ledger.acknowledge([("fb", "reach", "2026-01-01", 12.0)])  # a later correction: 12 must be stored
    ledger.unanswered_write([("x", "likes", "2026-01-03", 6.0)])  # no answer: 6 may have been committed
    stored = {("fb", "reach", "2026-01-01"): [12.0], ("fb", "reach", "2026-01-02"): [11.0, 11.0],
              ("x", "likes", "2026-01-02"): [3.5], ("x", "likes", "2026-01-03"): [6.0],
              ("yt", "views", "2026-01-01"): [1.0]}  # loaded before the soak: not checked
    check = check_stored(ledger.acknowledged, ledger.unanswered, stored)
    assert (check["missing"], check["stale"], check["lost"]) == (1, 1, 2)
    assert check["duplicated"] == 1 and check["uncertain"] == 1 and check["acknowledged_keys"] == 5
    assert check["examples"]["missing"] == ["x/likes/2026-01-01"]
    assert check["examples"]["stale"] == ["x/likes/2026-01-02"]
    assert ledger.acknowledged_writes == 6
    clean = check_stored({("fb", "reach", "2026-01-01"): 12.0}, {}, {("fb", "reach", "2026-01-01"): [12.0]})
    assert (clean["lost"], clean["duplicated"], clean["uncertain"]) == (0, 0, 0)


def test_settings_bound_every_loop():
    quick = SoakSettings.quick_check()
    assert quick.intervals == 2 and quick.seconds == 60 and quick.bound(1.0) == 61
    assert SoakSettings.full().intervals == 20 and SoakSettings.full().with_minutes(3).intervals == 6


def test_a_server_that_cannot_start_fails_the_soak_without_figures(tmp_path, monkeypatch):
    from bench.database import SqliteDatabase
    from bench.progress import Progress
    from bench.server import Launcher
    from bench.soak.run import run_database

    def refuse(self, timeout=60):
        raise RuntimeError("gunicorn exited with 1; see the log")

    monkeypatch.setattr(Launcher, "start", refuse)
    settings = SoakSettings(minutes=1, quick=True, days=20, others=2, other_agencies=2, other_days=5)
    result = run_database(SqliteDatabase(str(tmp_path)), settings, Progress(quiet=True), tmp_path)
    assert result["status"] == "failed" and "cannot start the server: gunicorn exited with 1" in result["error"]
    assert not {"intervals", "targets", "check", "resources"} & set(result)


# --- the periodic checkpoints ----------------------------------------------------------------------
def test_checkpoints_are_read_from_the_log_and_set_against_the_requests_beside_them():
    from bench.soak.checkpoints import checkpoint_cost, parse_log

    log = """127.0.0.1 "POST /api/v1/companies/x/metrics" 200 61 38ms
2026-11-30 16:00:10,500 INFO reachboard.maintenance: WAL checkpointer: process 12 checkpoints /tmp/b.db
2026-11-30 16:00:20,500 INFO reachboard.maintenance: WAL checkpoint(TRUNCATE) complete: 10 of 10 WAL pages \
copied; WAL 20.0 MiB (20971520 bytes) -> 0.0 MiB (0 bytes) in 0.50 s
2026-11-30 16:00:40,000 WARNING reachboard.maintenance: WAL checkpoint(TRUNCATE) NOT complete (busy: readers \
or a writer held it back): WAL 30.0 MiB (31457280 bytes) -> 30.0 MiB (31457280 bytes) in 5.00 s; trying again in 10 s
"""
    found = parse_log(log)
    assert [(c["seconds"], c["complete"]) for c in found] == [(0.5, True), (5.0, False)]
    assert found[1]["ended_at"] - found[0]["ended_at"] == pytest.approx(19.5)
    start = found[0]["ended_at"] - 20.5  # the load started at 16:00:00
    samples = [(20.3, "push", 0.2, True),  # 20.1–20.3 s: inside the first checkpoint (20.0–20.5)
               (40.0, "push", 1.0, True),  # 39–40 s: inside the second (35–40)
               (10.0, "push", 0.1, True), (50.0, "push", 0.1, True), (30.0, "dashboard", 0.3, True)]
    cost = checkpoint_cost(found, samples, start, 60)
    assert (cost["count"], cost["incomplete"], cost["longest_s"], cost["total_s"]) == (2, 1, 5.0, 5.5)
    assert cost["by_kind"]["push"]["beside"]["requests"] == 2 and cost["by_kind"]["push"]["apart"]["requests"] == 2
    assert cost["by_kind"]["push"]["apart"]["p50_ms"] == 100.0
    assert cost["by_kind"]["dashboard"]["beside"]["requests"] == 0
    assert checkpoint_cost(found, samples, start + 100, 60)["count"] == 0  # both before the load


# --- the job load --------------------------------------------------------------------------------
def test_the_webhook_receiver_records_each_deliverys_lag_from_its_publication():
    import datetime as dt
    import http.client
    import json
    import time

    from bench.soak.jobs import WebhookReceiver
    from bench.soak.load import Recorder

    recorder = Recorder(time.monotonic())
    receiver = WebhookReceiver(lambda: recorder)
    receiver.start()
    try:
        published = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=3)).isoformat().replace("+00:00", "Z")
        port = receiver.server.server_address[1]
        for message_id, body in [("msg_1", {"type": "metrics.pushed", "timestamp": published, "data": {}}),
                                 ("msg_1", {"type": "metrics.pushed", "timestamp": published, "data": {}}),
                                 ("msg_2", {"type": "alert.created", "timestamp": published, "data": {}})]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/hooks", json.dumps(body).encode(), {"webhook-id": message_id})
            assert conn.getresponse().status == 204
            conn.close()
    finally:
        receiver.close()
    assert receiver.figures() == {"received": 3, "distinct_messages": 2,
                                  "events": {"metrics.pushed": 2, "alert.created": 1}}
    lags = [seconds for _, kind, seconds, ok in recorder.samples if kind == "webhook" and ok]
    assert len(lags) == 3 and all(2.9 < lag < 10 for lag in lags)


def test_webhook_deliveries_are_checked_against_what_arrived():
    from bench.soak.jobs import delivery_check

    received = {"received": 12, "distinct_messages": 10, "events": {"metrics.pushed": 12}}
    clean = delivery_check({"delivered": 10}, received)
    assert (clean["made"], clean["not_delivered"], clean["missing_at_receiver"]) == (10, 0, 0)
    assert [t["pass"] for t in analysis.webhook_targets(clean)] == [True]
    stuck = delivery_check({"delivered": 11, "pending": 2, "failed": 1}, received)
    assert (stuck["not_delivered"], stuck["missing_at_receiver"]) == (3, 1)
    target = analysis.webhook_targets(stuck)[0]
    assert target["pass"] is False and target["value"] == "4 of 14"
    assert failed_hard({"targets": [target]})
    assert analysis.webhook_targets(delivery_check({}, {"received": 0, "distinct_messages": 0, "events": {}}))[0][
        "pass"] is False  # nothing made: the job load did not run
    assert analysis.webhook_targets(None) == []  # a soak without the consumer


def test_the_consumers_memory_is_judged_like_a_workers():
    res = _resources([{2: 100_000}] * 7)
    for i, row in enumerate(res):
        row["processes"].append({"pid": 9, "role": "consumer", "rss_kb": 200_000, "fds": 12,
                                 "rss_anon_mean_kb": 150_000 if i < 5 else 180_000, "renderer_rss_kb": 300_000})
    targets = {t["id"]: t for t in evaluate("sqlite", False, _intervals([10] * 6, [100] * 6), res, 0, CLEAN, 0)}
    assert targets["rss_growth"]["pass"] is True
    assert targets["consumer_rss_growth"]["pass"] is False and targets["consumer_rss_growth"]["value"] == "+20.0%"
    without = {t["id"] for t in evaluate("sqlite", False, _intervals([10] * 6, [100] * 6), _resources([{2: 1}] * 7),
                                         0, CLEAN, 0)}
    assert "consumer_rss_growth" not in without
