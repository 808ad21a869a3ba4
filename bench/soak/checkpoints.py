"""The periodic WAL checkpoints of a soak on SQLite (backend/wal_checkpointer.py), read from
gunicorn's log, and what they cost the requests running beside them: the soak's own requests
(pushes, dashboard, CSV imports; wrk reports no single requests) that overlapped a checkpoint
against those that did not.

The checkpointer logs ``WAL checkpoint(TRUNCATE) complete: … in 0.44 s`` at INFO (the soak runs
gunicorn with ``LOG_LEVEL=INFO``) and the same line with ``NOT complete`` as a warning.
"""
from __future__ import annotations

import re
import time

from .analysis import Sample, percentile_ms

LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) \w+ reachboard\.maintenance: "
                  r"WAL checkpoint\((\w+)\) (complete|NOT complete).*? in ([\d.]+) s")
KINDS = ("push", "dashboard", "csv_import")


def parse_log(text: str) -> list[dict]:
    """The checkpoints in a log: when each ended (Unix time), how long it took, whether it finished."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m is None:
            continue
        ended = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000
        out.append({"ended_at": ended, "seconds": float(m.group(5)), "mode": m.group(3),
                    "complete": m.group(4) == "complete"})
    return out


def _figures(durations: list[float]) -> dict:
    return {"requests": len(durations), "p50_ms": percentile_ms(durations, 50), "p99_ms": percentile_ms(durations, 99)}


def checkpoint_cost(checkpoints: list[dict], samples: list[Sample], load_started_at: float,
                    load_seconds: float) -> dict:
    """Checkpoints during the load (count, unfinished ones, longest, total time) and, per kind,
    p50/p99 of the requests that overlapped one (``beside``) and of the others (``apart``)."""
    windows = [(c["ended_at"] - c["seconds"] - load_started_at, c["ended_at"] - load_started_at) for c in checkpoints]
    during = [(w, c) for w, c in zip(windows, checkpoints, strict=True) if w[1] >= 0 and w[0] <= load_seconds]
    spans = [w for w, _ in during]
    by_kind = {}
    for kind in KINDS:
        beside: list[float] = []
        apart: list[float] = []
        for t, k, seconds, _ in samples:
            if k == kind:
                overlaps = any(t - seconds < end and t > start for start, end in spans)
                (beside if overlaps else apart).append(seconds)
        by_kind[kind] = {"beside": _figures(beside), "apart": _figures(apart)}
    return {"count": len(during), "incomplete": sum(1 for _, c in during if not c["complete"]),
            "longest_s": max((c["seconds"] for _, c in during), default=None),
            "total_s": round(sum(c["seconds"] for _, c in during), 2), "by_kind": by_kind}


def describe(cost: dict) -> str:
    if not cost["count"]:
        return "periodic WAL checkpoints during the load: none (the WAL stayed under the checkpointer's threshold)"
    push = cost["by_kind"]["push"]
    return (f"periodic WAL checkpoints during the load: {cost['count']} ({cost['incomplete']} unfinished), longest "
            f"{cost['longest_s']:.2f} s, {cost['total_s']:.2f} s in all; pushes beside one p50/p99 "
            f"{push['beside']['p50_ms']}/{push['beside']['p99_ms']} ms ({push['beside']['requests']}), apart "
            f"{push['apart']['p50_ms']}/{push['apart']['p99_ms']} ms")
