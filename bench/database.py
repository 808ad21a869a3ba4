"""Scratch databases for the benchmark and raw access to them through the driver.

SQLite: a file in a temporary directory, removed afterwards. PostgreSQL: a database
``rb_bench_<pid>_<random>`` created next to ``BENCH_POSTGRES_URL`` and dropped afterwards.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable

from config import normalise_database_url

POINT_COLUMNS = "agency_id, company_id, channel_id, metric, date, value, updated_at"


class BenchDatabase:
    """One scratch database: its SQLAlchemy URL for the app, a DB-API connection for raw work,
    and the parameter forms the raw SQL needs (SQLite stores UUIDs as 32 hex characters and
    dates as ISO text; PostgreSQL has native types)."""

    kind: str = ""
    placeholder: str = "?"

    @property
    def url(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def connect(self):  # pragma: no cover - overridden
        raise NotImplementedError

    def create(self) -> None:
        pass

    def drop(self) -> None:
        pass

    # --- parameter forms --------------------------------------------------------------------
    def id(self, value: uuid.UUID):
        return value

    def day(self, value: dt.date):
        return value

    def timestamp(self, value: dt.datetime):
        return value

    def insert_points(self, conn, rows: Iterable[tuple]) -> int:
        """Plain INSERT of metric_point rows with ``executemany`` in one transaction."""
        raise NotImplementedError

    def load_others(self, conn, channels: list[tuple], metrics: list[str], first_day: dt.date, days: int,
                    now: dt.datetime) -> int:
        """Set-up only (not a measured figure): daily points of ``metrics`` for ``days`` days on every
        (agency_id, company_id, channel_id) of ``channels``, generated inside the database with
        one INSERT … SELECT — several times faster than binding two million rows from Python.
        Rows go in sorted like the indexes that lead with the tenant."""
        cur = conn.cursor()
        ph = self.placeholder
        self._begin(cur)
        cur.execute(f"CREATE TEMP TABLE bench_channel (agency_id {self.uuid_type}, company_id {self.uuid_type}, "
                    f"channel_id {self.uuid_type}, n integer)")
        cur.executemany(f"INSERT INTO bench_channel VALUES ({ph}, {ph}, {ph}, {ph})",
                        [(self.id(a), self.id(c), self.id(ch), n) for n, (a, c, ch) in enumerate(channels)])
        cur.execute("CREATE TEMP TABLE bench_metric (metric varchar(64), base integer, mult integer, modulus integer)")
        cur.executemany(f"INSERT INTO bench_metric VALUES ({ph}, {ph}, {ph}, {ph})",
                        [(m, 100 + 7 * i, 13 + 6 * i, 50 + 40 * i) for i, m in enumerate(metrics)])
        cur.execute(self.LOAD_OTHERS_SQL, {"first": self.day(first_day), "days": days, "now": self.timestamp(now)})
        n = cur.rowcount
        cur.execute("DROP TABLE bench_channel")
        cur.execute("DROP TABLE bench_metric")
        self._commit(cur)
        cur.close()
        return n

    uuid_type = "char(32)"
    LOAD_OTHERS_SQL = ""

    def _begin(self, cur) -> None:
        pass

    def _commit(self, cur) -> None:
        cur.connection.commit()

    def analyze(self, conn) -> None:
        pass


class SqliteDatabase(BenchDatabase):
    kind = "sqlite"
    placeholder = "?"

    def __init__(self, directory: str | None = None):
        self._own_dir = directory is None
        self.directory = directory or tempfile.mkdtemp(prefix="rb_bench_")
        self.path = os.path.join(self.directory, "bench.db")

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def create(self) -> None:
        if os.path.exists(self.path):
            os.remove(self.path)

    def drop(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def connect(self):
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def id(self, value: uuid.UUID) -> str:
        return value.hex

    def day(self, value: dt.date) -> str:
        return value.isoformat()

    def timestamp(self, value: dt.datetime) -> str:
        return value.isoformat(" ", "microseconds")

    LOAD_OTHERS_SQL = f"""
        INSERT INTO metric_point ({POINT_COLUMNS})
        WITH RECURSIVE days(d) AS (SELECT 0 UNION ALL SELECT d + 1 FROM days WHERE d < :days - 1)
        SELECT c.agency_id, c.company_id, c.channel_id, m.metric, date(:first, '+' || d || ' days'),
               CASE WHEN m.metric = 'followers' THEN 1000 + c.n % 500 + d * (1 + c.n % 3)
                    ELSE m.base + (d * m.mult + c.n * 11) % m.modulus END,
               :now
        FROM bench_channel c CROSS JOIN bench_metric m CROSS JOIN days
        ORDER BY c.agency_id, c.company_id, c.channel_id, m.metric, d
    """

    def _begin(self, cur) -> None:
        cur.execute("BEGIN IMMEDIATE")

    def _commit(self, cur) -> None:
        cur.execute("COMMIT")

    def insert_points(self, conn, rows: Iterable[tuple]) -> int:
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.executemany(f"INSERT INTO metric_point ({POINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        n = cur.rowcount
        cur.execute("COMMIT")
        return n


class PostgresDatabase(BenchDatabase):
    kind = "postgresql"
    placeholder = "%s"

    def __init__(self, base_url: str):
        base = normalise_database_url(base_url)
        self.base_url = base
        self.name = f"rb_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self._url = base.rsplit("/", 1)[0] + "/" + self.name

    @property
    def url(self) -> str:
        return self._url

    @staticmethod
    def _conninfo(url: str) -> str:
        return url.replace("postgresql+psycopg://", "postgresql://", 1)

    def _admin(self):
        import psycopg

        return psycopg.connect(self._conninfo(self.base_url), autocommit=True)

    def create(self) -> None:
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with self._admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')

    def connect(self):
        import psycopg

        return psycopg.connect(self._conninfo(self._url))

    def insert_points(self, conn, rows: Iterable[tuple]) -> int:
        with conn.transaction():
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO metric_point ({POINT_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)", rows
                )
                n = cur.rowcount
        return n

    uuid_type = "uuid"

    def _begin(self, cur) -> None:
        cur.execute("SET LOCAL work_mem = '256MB'")  # sort the generated rows in memory
    LOAD_OTHERS_SQL = f"""
        INSERT INTO metric_point ({POINT_COLUMNS})
        SELECT c.agency_id, c.company_id, c.channel_id, m.metric, CAST(%(first)s AS date) + d,
               CASE WHEN m.metric = 'followers' THEN 1000 + c.n %% 500 + d * (1 + c.n %% 3)
                    ELSE m.base + (d * m.mult + c.n * 11) %% m.modulus END,
               %(now)s
        FROM bench_channel c CROSS JOIN bench_metric m CROSS JOIN generate_series(0, %(days)s - 1) AS d
        ORDER BY c.agency_id, c.company_id, c.channel_id, m.metric, d
    """

    def analyze(self, conn) -> None:
        """What autovacuum does soon after a bulk load (inserts alone trigger it since PostgreSQL
        13): fresh planner statistics, and every new row's hint bits and the visibility map set —
        otherwise the first reads after the load pay for writing them, and the "alone" phase,
        measured right after the push, looked slower than the "crowded" one (summary p95 79 ms
        against 53 ms in one run)."""
        conn.commit()
        conn.autocommit = True
        try:
            conn.execute("VACUUM ANALYZE")
        finally:
            conn.autocommit = False


def open_databases(kinds: list[str], postgres_url: str | None) -> list[BenchDatabase]:
    out: list[BenchDatabase] = []
    for kind in kinds:
        if kind == "sqlite":
            out.append(SqliteDatabase())
        elif kind == "postgresql":
            if not postgres_url:
                raise SystemExit("PostgreSQL needs BENCH_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
            out.append(PostgresDatabase(postgres_url))
        else:
            raise SystemExit(f"unknown database {kind!r}")
    return out
