"""Pure functions from recorded samples to the soak's figures and verdicts: requests grouped into
30 s intervals, the second and the last minute compared, resources checked, targets judged.

A minute is two intervals: its throughput is their requests over their seconds, its p99 the
larger of their two p99s (wrk reports percentiles per slice, not its samples, so every kind is
treated the same way).
"""
from __future__ import annotations

import statistics
from collections.abc import Iterable

from .settings import INTERVAL_SECONDS, KIND_LABELS, KINDS, MIB, MIN_REQUESTS_PER_MINUTE, TARGETS

Sample = tuple[float, str, float, bool]  # (seconds since the start when it finished, kind, duration s, ok)
# CSV imports and report PDFs: a few a minute, too few for a p99.
TIMED_KINDS = ("read", "push", "dashboard", "webhook")


def percentile_ms(durations: list[float], q: float) -> float | None:
    """The q-th percentile (0–100, inclusive method) of durations in seconds, in ms."""
    if not durations:
        return None
    if len(durations) == 1:
        return round(durations[0] * 1000, 1)
    cuts = statistics.quantiles(durations, n=1000, method="inclusive")
    return round(cuts[min(998, max(0, round(q * 10) - 1))] * 1000, 1)


def aggregate(samples: Iterable[Sample], intervals: int, wrk_slices: dict[int, dict] | None = None,
              interval_seconds: int = INTERVAL_SECONDS, kinds: tuple[str, ...] = KINDS) -> list[dict]:
    """Per interval and kind: requests, req/s, p50/p99 (ms) and errors. A request counts in the
    interval in which it finished (one that finished after the last interval, in the last). The
    reads come from wrk's slice of the same number (``wrk_slices``)."""
    buckets: list[dict[str, list[tuple[float, bool]]]] = [{k: [] for k in kinds} for _ in range(intervals)]
    for t, kind, seconds, ok in samples:
        i = min(intervals - 1, max(0, int(t // interval_seconds)))
        buckets[i].setdefault(kind, []).append((seconds, ok))
    out = []
    for i, bucket in enumerate(buckets):
        row: dict = {"index": i, "t_end": (i + 1) * interval_seconds, "kinds": {}}
        for kind in kinds:
            if kind == "read" and wrk_slices is not None:
                s = wrk_slices.get(i)
                row["kinds"][kind] = None if s is None else {
                    "requests": s["requests"], "seconds": s["seconds"], "rps": s["rps"], "p50_ms": s["p50_ms"],
                    "p99_ms": s["p99_ms"], "errors": s["errors"]}
                continue
            got = bucket.get(kind, [])
            durations = [d for d, _ in got]
            row["kinds"][kind] = {
                "requests": len(got), "seconds": interval_seconds, "rps": round(len(got) / interval_seconds, 2),
                "p50_ms": percentile_ms(durations, 50), "p99_ms": percentile_ms(durations, 99),
                "errors": sum(1 for _, ok in got if not ok)}
        out.append(row)
    return out


def minute(intervals: list[dict], kind: str, which: slice) -> dict | None:
    """A kind's figures over two intervals (``which``): requests, req/s and p99 (the larger one)."""
    rows = [r["kinds"].get(kind) for r in intervals[which]]
    if len(rows) != 2 or any(r is None for r in rows):
        return None
    requests = sum(r["requests"] for r in rows)
    seconds = sum(r["seconds"] for r in rows)
    p99s = [r["p99_ms"] for r in rows if r["p99_ms"] is not None]
    return {"requests": requests, "rps": round(requests / seconds, 2) if seconds else 0.0,
            "p99_ms": max(p99s) if p99s else None}


SECOND_MINUTE = slice(2, 4)
LAST_MINUTE = slice(-2, None)


def total_errors(intervals: list[dict]) -> int:
    return sum(k["errors"] for r in intervals for k in r["kinds"].values() if k is not None)


def _target(id_: str, label: str, value, target: str, ok: bool | None, note: str = "") -> dict:
    return {"id": id_, "label": label, "value": value, "target": target, "pass": ok, "note": note}


def _timing_unmeasurable(quick: bool, intervals: list[dict]) -> str:
    if quick:
        return "n/a (quick)"
    if len(intervals) < 6:
        return "n/a (shorter than 3 minutes)"
    return ""


def timing_targets(intervals: list[dict], quick: bool) -> list[dict]:
    """Throughput of the last minute against the second, and its p99, per timed kind."""
    out = []
    skip = _timing_unmeasurable(quick, intervals)
    for kind in TIMED_KINDS:
        label = KIND_LABELS[kind]
        second = None if skip else minute(intervals, kind, SECOND_MINUTE)
        last = None if skip else minute(intervals, kind, LAST_MINUTE)
        tput_target = f"≥ {TARGETS['throughput_ratio_min']:.0%} of minute 2"
        p99_target = f"≤ {TARGETS['p99_ratio_max']}× minute 2"
        if skip or second is None or last is None:
            why = skip or "n/a (no figures)"
            out += [_target(f"throughput_{kind}", f"{label}: throughput, last minute", None, tput_target, None, why),
                    _target(f"p99_{kind}", f"{label}: p99, last minute", None, p99_target, None, why)]
            continue
        if min(second["requests"], last["requests"]) < MIN_REQUESTS_PER_MINUTE:
            why = f"n/a (under {MIN_REQUESTS_PER_MINUTE} requests a minute)"
            out += [_target(f"throughput_{kind}", f"{label}: throughput, last minute", None, tput_target, None, why),
                    _target(f"p99_{kind}", f"{label}: p99, last minute", None, p99_target, None, why)]
            continue
        ratio = last["rps"] / second["rps"] if second["rps"] else 0.0
        out.append(_target(f"throughput_{kind}", f"{label}: throughput, last minute",
                           f"{last['rps']:.1f}/s vs {second['rps']:.1f}/s ({ratio:.0%})", tput_target,
                           ratio >= TARGETS["throughput_ratio_min"]))
        if second["p99_ms"] and last["p99_ms"] is not None:
            r = last["p99_ms"] / second["p99_ms"]
            out.append(_target(f"p99_{kind}", f"{label}: p99, last minute",
                               f"{last['p99_ms']:.0f} vs {second['p99_ms']:.0f} ms ({r:.2f}×)", p99_target,
                               r <= TARGETS["p99_ratio_max"]))
        else:
            out.append(_target(f"p99_{kind}", f"{label}: p99, last minute", None, p99_target, None, "n/a (no p99)"))
    return out


def _worker_means(rows: list[dict], role: str = "worker") -> dict[int, float]:
    """Each process's (of ``role``) mean RSS (kB) over the rows, for those present in every one of them."""
    seen: dict[int, list[int]] = {}
    for row in rows:
        for p in row["processes"]:
            if p["role"] == role:
                seen.setdefault(p["pid"], []).append(p.get("rss_anon_mean_kb", p.get("rss_mean_kb", p["rss_kb"])))
    return {pid: sum(v) / len(v) for pid, v in seen.items() if len(v) == len(rows)}


def rss_growth(resources: list[dict], role: str = "worker") -> dict:
    """Each worker's mean anonymous RSS (``RssAnon``: its heap, where a leak shows) over the last
    minute against its mean over minute 2 (the resource rows carry each process's mean of its
    once-a-second readings). The file-backed rest of RSS is left out of the judgement: on SQLite it
    is the database file mapped by ``mmap_size``, which grows with the file and is the kernel's
    page cache, shared by the workers and given back under memory pressure. Workers of minute 2 that are
    not there in the last minute (restarted, killed) are listed as gone."""
    rows = resources[1:]  # [0] is the start of the load
    if len(rows) < 6:
        return {"growth": {}, "gone": []}
    before, after = _worker_means(rows[SECOND_MINUTE], role), _worker_means(rows[LAST_MINUTE], role)
    return {"growth": {pid: round(after[pid] / kb - 1, 4) for pid, kb in before.items() if pid in after},
            "gone": [pid for pid in before if pid not in after],
            "minute_2_mib": {pid: round(kb / 1024, 1) for pid, kb in before.items()},
            "last_minute_mib": {pid: round(kb / 1024, 1) for pid, kb in after.items()}}


def _rss_target(id_: str, role: str, label: str, limit: float, resources: list[dict], skip: str) -> dict:
    rss = {"growth": {}, "gone": []} if skip else rss_growth(resources, role)
    if skip or not (rss["growth"] or rss["gone"]):
        return _target(id_, label, None, f"≤ {limit:.0%}", None, skip or "n/a (no reference sample)")
    worst = max(rss["growth"].values(), default=0.0)
    shown = ", ".join(f"{g:+.1%}" for g in rss["growth"].values())
    note = f"gone: {rss['gone']}" if rss["gone"] else ""
    return _target(id_, label, shown, f"≤ {limit:.0%}", worst <= limit and not rss["gone"], note)


def resource_targets(kind: str, resources: list[dict], wal_after: int | None, quick: bool,
                     intervals: int, autovacuum: str | None) -> list[dict]:
    out = []
    if kind == "sqlite":
        peak = max((r.get("wal_peak_bytes") or 0 for r in resources), default=0)
        out.append(_target("wal_max", "SQLite WAL, largest during the run", f"{peak / MIB:.1f} MiB",
                           f"< {TARGETS['wal_max_bytes'] // MIB} MiB", peak < TARGETS["wal_max_bytes"]))
        out.append(_target("wal_after", "SQLite WAL after the final checkpoint",
                           None if wal_after is None else f"{wal_after:,} bytes", "0 bytes (truncated)",
                           None if wal_after is None else wal_after <= TARGETS["wal_after_bytes"],
                           "" if wal_after is not None else "no checkpoint"))
    skip = "n/a (quick)" if quick else ("n/a (shorter than 3 minutes)" if intervals < 6 else "")
    out.append(_rss_target("rss_growth", "worker", "worker RSS (anonymous), last minute against minute 2",
                           TARGETS["rss_growth_max"], resources, skip))
    if any(p["role"] == "consumer" for r in resources for p in r["processes"]):
        out.append(_rss_target("consumer_rss_growth", "consumer",
                               "job consumer RSS (anonymous), last minute against minute 2",
                               TARGETS["consumer_rss_growth_max"], resources, skip))
    if kind == "postgresql":
        label = "metric_point dead tuples / live, largest from minute 2 on"
        limit = f"≤ {TARGETS['dead_tuple_ratio_max']:.0%}"
        ratios = [t["dead"] / t["live"] for r in resources if r["t"] >= 119
                  for t in [r.get("tables", {}).get("metric_point")] if t and t["live"]]
        if skip:
            out.append(_target("dead_tuples", label, None, limit, None, skip))
        elif autovacuum != "on":
            worst = max(ratios, default=None)
            out.append(_target("dead_tuples", label, None if worst is None else f"{worst:.1%}", limit, None,
                               f"n/a (autovacuum is {autovacuum} on this server)"))
        else:
            worst = max(ratios, default=0.0)
            out.append(_target("dead_tuples", label, f"{worst:.1%}", limit, worst <= TARGETS["dead_tuple_ratio_max"]))
    return out


def webhook_targets(webhooks: dict | None) -> list[dict]:
    """Every delivery made during the run was sent by the end (after a drain) and arrived."""
    if webhooks is None:
        return []
    missed = webhooks["not_delivered"] + webhooks["missing_at_receiver"]
    return [_target("webhooks", "webhook deliveries not delivered or not received",
                    f"{missed} of {webhooks['made']:,}", "0", missed == 0 and webhooks["made"] > 0,
                    "" if webhooks["made"] else "no delivery was made")]


def correctness_targets(errors: int, check: dict) -> list[dict]:
    return [
        _target("errors", "errors (all requests)", errors, "0", errors == 0),
        _target("lost", "acknowledged points lost (missing or not the last value)", check["lost"], "0",
                check["lost"] == 0),
        _target("duplicated", "points stored twice", check["duplicated"], "0", check["duplicated"] == 0),
    ]


def evaluate(kind: str, quick: bool, intervals: list[dict], resources: list[dict], wal_after: int | None,
             check: dict, errors: int, autovacuum: str | None = None, webhooks: dict | None = None) -> list[dict]:
    """Every target of the soak for one database, each passed (True), failed (False) or not
    measurable in this run (None, with the reason in ``note``)."""
    return (correctness_targets(errors, check) + webhook_targets(webhooks)
            + resource_targets(kind, resources, wal_after, quick, len(intervals), autovacuum)
            + timing_targets(intervals, quick))


def failed_hard(result: dict) -> bool:
    """Errors, lost or duplicated points: the soak exits non-zero whatever the mode."""
    return any(t["pass"] is False for t in result.get("targets", [])
               if t["id"] in ("errors", "lost", "duplicated", "webhooks"))
