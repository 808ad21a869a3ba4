"""What the soak samples besides requests: the gunicorn processes (RSS, open file descriptors),
the database's connections and size, SQLite's WAL and PostgreSQL's dead tuples.

Process figures come from /proc (Linux): the master is the process the soak started, the
workers are its children. A SQLite connection is an open descriptor on the database file; a
PostgreSQL connection a row of pg_stat_activity for the scratch database.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

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
    """Direct children of ``pid``, from every process's /proc/<pid>/stat (ppid is field 4)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except (FileNotFoundError, ProcessLookupError):
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # after "(comm)", which may hold spaces
        if len(fields) > 1 and int(fields[1]) == pid:
            out.append(int(entry))
    return sorted(out)


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


def processes(master: int, db_file: str | None = None) -> list[dict]:
    """The master and its workers: pid, role, RSS (kB), open descriptors and, for SQLite, how many
    of them are the database file (one per connection)."""
    if _status_kb(master, "VmRSS") is None:
        raise ServerGone(f"the gunicorn master (pid {master}) is gone")
    out = []
    for pid, role in [(master, "master")] + [(p, "worker") for p in children(master)]:
        rss = _status_kb(pid, "VmRSS")
        if rss is None:
            continue
        fds = open_fds(pid)
        row = {"pid": pid, "role": role, "rss_kb": rss, "fds": len(fds)}
        if db_file is not None:
            row["db_fds"] = sum(1 for t in fds if t == db_file)
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

    def __init__(self, conninfo: str):
        import psycopg

        self.conn = psycopg.connect(conninfo, autocommit=True)  # each statement sees fresh statistics

    def wal_bytes(self) -> int | None:
        return None

    def sample(self, procs: list[dict]) -> dict:
        cur = self.conn.cursor()
        cur.execute("SELECT coalesce(state, '?'), count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1")
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


class WalWatcher:
    """The WAL's size once a second in a thread, so that a peak between two 30 s samples is seen;
    ``take_peak()`` returns the largest size since the last call."""

    def __init__(self, probe, every: float = 1.0):
        self.probe = probe
        self.every = every
        self._peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-watcher", daemon=True)

    def start(self) -> None:
        if self.probe.wal_bytes() is not None:
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.look()

    def look(self) -> None:
        size = self.probe.wal_bytes() or 0
        with self._lock:
            self._peak = max(self._peak, size)

    def take_peak(self) -> int | None:
        if self.probe.wal_bytes() is None:
            return None
        self.look()
        with self._lock:
            peak, self._peak = self._peak, 0
        return peak

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)


def resource_sample(t: float, master: int, probe, wal_peak: int | None) -> dict:
    """One row of resource figures at ``t`` seconds."""
    procs = processes(master, probe.db_file)
    return {"t": round(t, 1), "at": time.time(), "processes": procs, "wal_peak_bytes": wal_peak,
            **probe.sample(procs)}
