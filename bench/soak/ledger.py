"""What the API acknowledged, and the check of it against what the database stores.

Every point of a push or CSV import answered 200 is written down under its natural key
(channel, metric, day) with its value; at the end the company's stored rows are read through the
driver and compared: every acknowledged key must be stored exactly once (no duplicate rows) with
the value of its LAST acknowledged write. Each key has one writer (a pusher or the importer owns
its channels), whose requests follow each other, so the last acknowledgement is the last commit.

A request that got no answer (an error) may or may not have been committed: its values are kept
apart, and a key whose stored value is one of them is counted as ``uncertain``, not lost. Errors
fail the soak anyway.
"""
from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable

Key = tuple[str, str, str]  # (channel key, metric, ISO day)
Point = tuple[str, str, str, float]  # the key and a value


class Ledger:
    """Acknowledged points by key (thread-safe: several load loops write to it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.acknowledged: dict[Key, float] = {}
        self.unanswered: dict[Key, set[float]] = {}
        self.acknowledged_writes = 0  # points, counting a key once per acknowledgement

    def acknowledge(self, points: Iterable[Point]) -> None:
        with self._lock:
            for channel, metric, day, value in points:
                key = (channel, metric, day)
                self.acknowledged[key] = value
                self.unanswered.pop(key, None)  # a later answered write settles the key
                self.acknowledged_writes += 1

    def unanswered_write(self, points: Iterable[Point]) -> None:
        with self._lock:
            for channel, metric, day, value in points:
                self.unanswered.setdefault((channel, metric, day), set()).add(value)

    def last_value(self, key: Key) -> float | None:
        with self._lock:
            return self.acknowledged.get(key)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def check_stored(acknowledged: dict[Key, float], unanswered: dict[Key, set[float]],
                 stored: dict[Key, list[float]], examples: int = 10) -> dict:
    """Acknowledged points against stored rows (``stored``: every row's value by key, so a key
    stored twice has two values). Lost = an acknowledged key missing, or stored with another value
    than its last acknowledged one (``stale``); duplicated = an acknowledged key with more than one
    row."""
    missing, stale, duplicated, uncertain = [], [], [], []
    for key, value in acknowledged.items():
        rows = stored.get(key)
        if not rows:
            missing.append(key)
            continue
        if len(rows) > 1:
            duplicated.append(key)
        if not any(_same(value, v) for v in rows):
            if any(_same(u, v) for u in unanswered.get(key, ()) for v in rows):
                uncertain.append(key)
            else:
                stale.append(key)
    duplicated_elsewhere = sum(1 for key, rows in stored.items() if len(rows) > 1 and key not in acknowledged)

    def show(keys: list[Key]) -> list[str]:
        return ["/".join(k) for k in sorted(keys)[:examples]]

    return {
        "acknowledged_keys": len(acknowledged), "stored_rows": sum(len(r) for r in stored.values()),
        "missing": len(missing), "stale": len(stale), "lost": len(missing) + len(stale),
        "duplicated": len(duplicated) + duplicated_elsewhere, "uncertain": len(uncertain),
        "examples": {"missing": show(missing), "stale": show(stale), "duplicated": show(duplicated),
                     "uncertain": show(uncertain)},
    }


def _iso(day) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)


def read_stored(db, conn, company_id) -> dict[Key, list[float]]:
    """Every stored point of the company by natural key, through the driver (no app, no cache)."""
    ph = db.placeholder
    cur = conn.cursor()
    cur.execute(f"SELECT c.key, p.metric, p.date, p.value FROM metric_point p JOIN channel c ON c.id = p.channel_id "
                f"WHERE p.company_id = {ph}", (db.id(company_id),))
    out: dict[Key, list[float]] = {}
    for channel, metric, day, value in cur.fetchall():
        out.setdefault((channel, metric, _iso(day)), []).append(float(value))
    cur.close()
    conn.commit()
    return out
