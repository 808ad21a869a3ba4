"""What the soak samples besides requests: the gunicorn processes and the job consumer (RSS,
open file descriptors; the consumer's renderer too), the database's connections (the soak's own
left out) and size, SQLite's WAL and PostgreSQL's dead tuples.

Process figures come from /proc (Linux): the launcher the soak started has two children, the
gunicorn master, whose children are the workers, and the consumer, whose descendants are the PDF
renderer's browser processes. A SQLite connection is an open descriptor on the database file; a
PostgreSQL connection a row of pg_stat_activity for the scratch database.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from ..server import child_pids

TABLES = ("metric_point", "idempotency_record")  # dead tuples: the upserted table, and the per-request marker


class ServerGone(RuntimeError):
    """The gunicorn master is no longer running."""


def _status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def children(pid: int) -> list[int]:
    return child_pids(pid)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the consumer's PDF renderer: a headless browser's processes)."""
    out, todo = [], [pid]
    while todo:
        kids = child_pids(todo.pop())
        out += kids
        todo += kids
    return out


def open_fds(pid: int) -> list[str]:
    """Targets of the process's open descriptors ([] when it is gone)."""
    base = f"/proc/{pid}/fd"
    out = []
    try:
        names = os.listdir(base)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return []
    for name in names:
        try:
            out.append(os.readlink(f"{base}/{name}"))
        except OSError:
            continue
    return out


def processes(master: int, db_file: str | None = None, consumer: int | None = None) -> list[dict]:
    """The master, its workers and the job consumer: pid, role, RSS (kB), open descriptors and,
    for SQLite, how many of them are the database file (one per connection). The consumer's row
    also holds ``renderer_rss_kb``: the RSS of every process below it (the PDF renderer's browser)."""
    if _status_kb(master, "VmRSS") is None:
        raise ServerGone(f"the gunicorn master (pid {master}) is gone")
    if consumer is not None and _status_kb(consumer, "VmRSS") is None:
        raise ServerGone(f"the job consumer (pid {consumer}) is gone")
    out = []
    roles = [(master, "master")] + [(p, "worker") for p in children(master)]
    for pid, role in roles + ([(consumer, "consumer")] if consumer is not None else []):
        rss = _status_kb(pid, "VmRSS")
        if rss is None:
            continue
        fds = open_fds(pid)
        row = {"pid": pid, "role": role, "rss_kb": rss, "rss_anon_kb": _status_kb(pid, "RssAnon") or 0,
               "fds": len(fds)}
        if db_file is not None:
            row["db_fds"] = sum(1 for t in fds if t == db_file)
        if role == "consumer":
            row["renderer_rss_kb"] = sum(_status_kb(d, "VmRSS") or 0 for d in descendants(pid))
        out.append(row)
    return out


def file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


class SqliteProbe:
    kind = "sqlite"

    def __init__(self, db_path: str):
        self.db_path = str(Path(db_path).resolve())
        self.wal_path = self.db_path + "-wal"

    @property
    def db_file(self) -> str:
        return self.db_path

    def wal_bytes(self) -> int:
        return file_size(self.wal_path)

    def sample(self, procs: list[dict]) -> dict:
        return {"db_bytes": file_size(self.db_path), "wal_bytes": self.wal_bytes(),
                "connections": sum(p.get("db_fds", 0) for p in procs)}

    def server_settings(self) -> dict:
        return {}

    def close(self) -> None:
        pass


class PostgresProbe:
    kind = "postgresql"
    db_file: str | None = None

    def __init__(self, conninfo: str, exclude_pid: int | None = None):
        import psycopg

        self.conn = psycopg.connect(conninfo, autocommit=True)  # each statement sees fresh statistics
        self.exclude_pid = exclude_pid or 0

    def wal_bytes(self) -> int | None:
        return None

    def sample(self, procs: list[dict]) -> dict:
        cur = self.conn.cursor()
        cur.execute("SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s) GROUP BY 1",
                    (self.exclude_pid,))
        states = {state: n for state, n in cur.fetchall()}
        cur.execute("SELECT pg_database_size(current_database()), pg_total_relation_size('metric_point')")
        sizes = cur.fetchone()
        db_bytes, table_bytes = sizes if sizes else (0, 0)
        cur.execute("SELECT relname, n_live_tup, n_dead_tup, autovacuum_count, vacuum_count, autoanalyze_count "
                    "FROM pg_stat_user_tables WHERE relname = ANY(%s)", (list(TABLES),))
        tables = {r[0]: {"live": r[1], "dead": r[2], "autovacuums": r[3], "vacuums": r[4], "autoanalyzes": r[5]}
                  for r in cur.fetchall()}
        cur.close()
        return {"db_bytes": db_bytes, "table_bytes": table_bytes, "connections": sum(states.values()),
                "connections_by_state": states, "tables": tables}

    def server_settings(self) -> dict:
        """The server's autovacuum switch and metric_point's own settings (the migration's)."""
        cur = self.conn.cursor()
        cur.execute("SELECT name, setting FROM pg_settings WHERE name IN ('autovacuum', 'autovacuum_naptime', "
                    "'autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_threshold')")
        out: dict = dict(cur.fetchall())
        cur.execute("SELECT reloptions FROM pg_class WHERE relname = 'metric_point'")
        row = cur.fetchone()
        out["metric_point_reloptions"] = list(row[0] or []) if row else []
        cur.close()
        return out

    def close(self) -> None:
        self.conn.close()


class Watcher:
    """Once a second, in a thread: the WAL's size (SQLite) and the RSS of the master and its
    workers, so that a WAL peak between two 30 s samples is seen and a process's RSS is an
    average, not one reading of a figure that moves by tens of MiB with the requests in flight.
    ``take()`` returns what was seen since the last call: the WAL's peak and, per pid, the mean
    and the largest RSS in kB."""

    def __init__(self, probe, master: int, every: float = 1.0, consumer: int | None = None):
        self.probe = probe
        self.master = master
        self.consumer = consumer
        self.every = every
        self._pids = self._followed()
        self._wal_peak = 0
        self._rss: dict[int, list[tuple[int, int]]] = {}  # pid → (VmRSS, RssAnon) readings, kB
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.look()

    def look(self) -> None:
        wal = self.probe.wal_bytes() or 0
        readings: dict[int, tuple[int, int]] = {}
        for pid in self._pids:
            total = _status_kb(pid, "VmRSS")
            if total is not None:
                readings[pid] = (total, _status_kb(pid, "RssAnon") or 0)
        with self._lock:
            self._wal_peak = max(self._wal_peak, wal)
            for pid, reading in readings.items():
                self._rss.setdefault(pid, []).append(reading)

    def take(self) -> dict:
        self.look()
        with self._lock:
            wal_peak, rss = self._wal_peak, self._rss
            self._wal_peak, self._rss = 0, {}
        self._pids = self._followed()  # a worker that was replaced is followed
        return {"wal_peak_bytes": None if self.probe.wal_bytes() is None else wal_peak,
                "rss": {pid: {"mean_kb": round(sum(t for t, _ in v) / len(v)), "max_kb": max(t for t, _ in v),
                              "anon_mean_kb": round(sum(a for _, a in v) / len(v))}
                        for pid, v in rss.items() if v}}

    def _followed(self) -> list[int]:
        return [self.master, *children(self.master)] + ([self.consumer] if self.consumer else [])

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)


def resource_sample(t: float, master: int, probe, watched: dict | None = None, consumer: int | None = None) -> dict:
    """One row of resource figures at ``t`` seconds; ``watched``: the Watcher's figures since the
    previous row (each process's mean and largest RSS, the WAL's peak)."""
    procs = processes(master, probe.db_file, consumer)
    rss = (watched or {}).get("rss", {})
    for p in procs:
        seen = rss.get(p["pid"])
        p["rss_mean_kb"] = seen["mean_kb"] if seen else p["rss_kb"]
        p["rss_max_kb"] = seen["max_kb"] if seen else p["rss_kb"]
        p["rss_anon_mean_kb"] = seen["anon_mean_kb"] if seen else p["rss_anon_kb"]
    wal_peak = (watched or {}).get("wal_peak_bytes", probe.wal_bytes())
    return {"t": round(t, 1), "at": time.time(), "processes": procs, "wal_peak_bytes": wal_peak,
            **probe.sample(procs)}
