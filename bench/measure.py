"""The two measurements of issue 4: ingest (API vs raw insert) and query (API vs raw SQL)."""
from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from .config import READ_METRICS
from .dataset import push_bodies, raw_rows
from .rawsql import RawQueries


class BenchError(RuntimeError):
    """The application answered something the benchmark cannot measure (an error status)."""


def stats_ms(samples: list[float]) -> dict:
    """p50/p95 (inclusive quantiles) and mean of durations in seconds, as milliseconds."""
    ms = sorted(s * 1000 for s in samples)
    if not ms:
        return {"n": 0}
    p95 = statistics.quantiles(ms, n=100, method="inclusive")[94] if len(ms) > 1 else ms[0]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 3), "p95_ms": round(p95, 3),
            "mean_ms": round(statistics.fmean(ms), 3), "min_ms": round(ms[0], 3), "max_ms": round(ms[-1], 3)}


# --- ingest -------------------------------------------------------------------------------------
def measure_ingest(db, conn, client, main, points, sizes, progress) -> dict:
    """Points/s of a raw ``executemany`` of the rows (into a scratch company, then deleted) and of
    the push API, first with fresh points, then re-pushing the same points."""
    n = len(points)
    rows = raw_rows(db, main.agency_id, main.scratch_company_id, main.scratch_channel_ids, points)
    bodies = push_bodies(points, sizes.batch)
    out: dict = {"points": n, "batches": len(bodies), "batch_size": sizes.batch,
                 "request_bytes": sum(len(b) for _, b in bodies)}

    with progress.step(f"raw insert of {n:,} rows (executemany, one transaction)"):
        t0 = time.perf_counter()
        db.insert_points(conn, rows)
        took = time.perf_counter() - t0
    out["raw"] = {"seconds": round(took, 3), "points_per_s": round(n / took)}
    cur = conn.cursor()
    ph = db.placeholder
    cur.execute(f"DELETE FROM metric_point WHERE agency_id = {ph} AND company_id = {ph}",
                (db.id(main.agency_id), db.id(main.scratch_company_id)))
    cur.close()
    conn.commit()
    del rows

    path = f"/api/v1/companies/{main.company_id}/metrics"
    for label, expect in (("fresh", "created"), ("repush", "unchanged")):
        counts = {"received": 0, "created": 0, "updated": 0, "unchanged": 0}
        counter = progress.counter(f"push ({label})", n)
        t0 = time.perf_counter()
        for size, body in bodies:
            status, resp = client.request("POST", path, body, {"Content-Type": "application/json"})
            if status != 200:
                raise BenchError(f"POST {path} answered {status}: {resp[:400].decode(errors='replace')}")
            answer = json.loads(resp)
            for k in counts:
                counts[k] += int(answer.get(k, 0))
            counter.add(size)
        took = time.perf_counter() - t0
        out[label] = {"seconds": round(took, 3), "points_per_s": round(n / took), "counts": counts,
                      "counts_as_expected": counts.get(expect) == n}
        progress.say(f"push ({label}): {n / took:,.0f} points/s, answers {counts}")
    return out


# --- query --------------------------------------------------------------------------------------
def read_path(company_id, date_from, date_to) -> str:
    metrics = "&".join(f"metric={m}" for m in READ_METRICS)
    return (f"/api/v1/companies/{company_id}/metrics?{metrics}&channel=all"
            f"&from={date_from.isoformat()}&to={date_to.isoformat()}&granularity=week")


def summary_path(company_id, date_from, date_to) -> str:
    return f"/api/v1/companies/{company_id}/metrics/summary?from={date_from.isoformat()}&to={date_to.isoformat()}"


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


def compare_read(api_body: dict, raw: dict) -> list[str]:
    """Differences between the API's weekly series and the raw SQL's (empty when they agree)."""
    problems = []
    api: dict[str, dict[str, float | None]] = {}
    for series in api_body.get("series", []):
        if series.get("channel") != "all":
            problems.append(f"unexpected series for channel {series.get('channel')!r}")
            continue
        api[series["metric"]] = {p["date"]: p["value"] for p in series.get("points", [])}
    for metric in READ_METRICS:
        a, r = api.get(metric), raw.get(metric, {})
        if a is None:
            problems.append(f"{metric}: no series in the API answer")
            continue
        for day in sorted(set(a) | set(r)):
            if not _close(a.get(day), r.get(day)):
                problems.append(f"{metric} week {day}: API {a.get(day)!r}, SQL {r.get(day)!r}")
    return problems


def compare_summary(api_body: dict, raw: dict) -> list[str]:
    problems = []
    rows = {m.get("metric"): m for m in api_body.get("metrics", [])}
    if not rows:
        return ["no metrics in the summary answer"]
    for metric, row in rows.items():
        if metric not in raw:
            continue
        value, previous = raw[metric]
        if not _close(row.get("value"), value):
            problems.append(f"{metric}: API value {row.get('value')!r}, SQL {value!r}")
        if not _close(row.get("previous"), previous):
            problems.append(f"{metric}: API previous {row.get('previous')!r}, SQL {previous!r}")
    return problems


def measure_queries(db, conn, client, main, period, sizes, progress) -> dict:
    """Interleaved timings (API read, raw read, API summary, raw summary) so that both sides see
    the same machine load; the first answers are also compared for equality."""
    date_from, date_to = period
    raw = RawQueries(db, conn, main.agency_id, main.company_id)
    # name -> (API path, the raw SQL's answer, how the two are compared)
    ops: dict[str, tuple[str, Callable[[], Any], Callable[[dict[str, Any], Any], list[str]]]] = {
        "read": (read_path(main.company_id, date_from, date_to), lambda: raw.read(date_from, date_to), compare_read),
        "summary": (summary_path(main.company_id, date_from, date_to),
                    lambda: raw.summary(date_from, date_to), compare_summary),
    }
    out: dict = {"period": {"from": date_from.isoformat(), "to": date_to.isoformat()}}
    api_ok = {}
    for name, (path, raw_call, compare) in ops.items():
        status, body = client.request("GET", path)
        raw_answer = raw_call()
        entry = out[name] = {"path": path}
        if status != 200:
            entry["error"] = f"GET answered {status}: {body[:300].decode(errors='replace')}"
            api_ok[name] = False
            continue
        api_ok[name] = True
        diffs = compare(json.loads(body), raw_answer)
        entry["agrees_with_sql"] = not diffs
        if diffs:
            entry["differences"] = diffs[:10] + ([f"… {len(diffs) - 10} more"] if len(diffs) > 10 else [])
    for _ in range(sizes.warmup):
        for name, (path, raw_call, _) in ops.items():
            if api_ok[name]:
                client.request("GET", path)
            raw_call()
    samples: dict[str, dict[str, list[float]]] = {name: {"api": [], "raw": []} for name in ops}
    counter = progress.counter("query rounds", sizes.iterations)
    started = time.perf_counter()
    for i in range(sizes.iterations):
        if i >= sizes.min_iterations and time.perf_counter() - started > sizes.query_seconds:
            progress.say(f"  query rounds: stopped after {i} rounds ({sizes.query_seconds:.0f} s budget)")
            break
        for name, (path, raw_call, _) in ops.items():
            if api_ok[name]:
                t0 = time.perf_counter()
                status, _body = client.request("GET", path)
                took = time.perf_counter() - t0
                if status != 200:
                    raise BenchError(f"GET {path} answered {status}")
                samples[name]["api"].append(took)
            t0 = time.perf_counter()
            raw_call()
            samples[name]["raw"].append(time.perf_counter() - t0)
        counter.add()
    for name in ops:
        out[name]["raw"] = stats_ms(samples[name]["raw"])
        if api_ok[name]:
            out[name]["api"] = stats_ms(samples[name]["api"])
    return out
