"""The measured reads written by hand in SQL, one version per database, run through the driver.

They compute what the API returns — the weekly ``channel=all`` series of followers (a gauge:
per channel the last value of the week, carried forward from earlier weeks, summed over
channels), reach (a flow: summed) and engagement rate (Σ engagements / Σ reach per week), and
the summary of a period against the previous one — and are the baseline the API is held to.
"""
from __future__ import annotations

import datetime as dt

from backend.services.catalog import BUILTIN, DERIVED, FLOW, GAUGE, derive

# --- SQLite ---------------------------------------------------------------------------------
# date(d, 'weekday 0', '-6 days') is the Monday of d's ISO week.
_SQLITE_GAUGE_WEEKS = """
WITH RECURSIVE weeks(wk) AS (
    SELECT date(:from, 'weekday 0', '-6 days')
    UNION ALL SELECT date(wk, '+7 days') FROM weeks WHERE wk < date(:to, 'weekday 0', '-6 days')
),
ch AS (SELECT id FROM channel WHERE agency_id = :a AND company_id = :c),
seed AS (
    SELECT ch.id AS channel_id, date(:from, 'weekday 0', '-13 days') AS wk,
           (SELECT m.value FROM metric_point m
             WHERE m.agency_id = :a AND m.company_id = :c AND m.channel_id = ch.id
               AND m.metric = :metric AND m.date < :from
             ORDER BY m.date DESC LIMIT 1) AS value
    FROM ch
),
inside AS (
    SELECT channel_id, wk, value FROM (
        SELECT channel_id, date(date, 'weekday 0', '-6 days') AS wk, value,
               ROW_NUMBER() OVER (PARTITION BY channel_id, date(date, 'weekday 0', '-6 days')
                                  ORDER BY date DESC) AS rn
        FROM metric_point
        WHERE agency_id = :a AND company_id = :c AND metric = :metric AND date BETWEEN :from AND :to
    ) WHERE rn = 1
),
grid AS (
    SELECT channel_id, wk, MAX(value) AS value FROM (
        SELECT channel_id, wk, value FROM inside
        UNION ALL SELECT ch.id, weeks.wk, NULL FROM ch CROSS JOIN weeks
        UNION ALL SELECT channel_id, wk, value FROM seed
    ) AS g GROUP BY channel_id, wk
),
runs AS (SELECT channel_id, wk, value,
                COUNT(value) OVER (PARTITION BY channel_id ORDER BY wk) AS grp FROM grid),
filled AS (SELECT channel_id, wk, MAX(value) OVER (PARTITION BY channel_id, grp) AS value FROM runs)
SELECT wk, SUM(value) FROM filled WHERE wk >= date(:from, 'weekday 0', '-6 days')
GROUP BY wk ORDER BY wk
"""

_SQLITE_FLOW_WEEKS = """
SELECT date(date, 'weekday 0', '-6 days') AS wk, metric, SUM(value)
FROM metric_point
WHERE agency_id = :a AND company_id = :c AND metric IN ({metrics}) AND date BETWEEN :from AND :to
GROUP BY wk, metric ORDER BY wk
"""

_SQLITE_FLOW_PERIODS = """
SELECT metric,
       SUM(CASE WHEN date >= :from THEN value END),
       SUM(CASE WHEN date < :from THEN value END)
FROM metric_point
WHERE agency_id = :a AND company_id = :c AND metric IN ({metrics}) AND date BETWEEN :pfrom AND :to
GROUP BY metric
"""

_GAUGE_AT = """(SELECT m.value FROM metric_point m
    WHERE m.agency_id = {a} AND m.company_id = {c} AND m.channel_id = ch.id AND m.metric = g.metric
      AND m.date {op} {day} ORDER BY m.date DESC LIMIT 1)"""

_GAUGE_PERIODS = """
SELECT g.metric, SUM({at_to}), SUM({at_pto}), SUM({before_pfrom})
FROM channel ch CROSS JOIN ({gauges}) g
WHERE ch.agency_id = {a} AND ch.company_id = {c}
GROUP BY g.metric
"""

# --- PostgreSQL -----------------------------------------------------------------------------
_PG_GAUGE_WEEKS = """
WITH weeks AS (
    SELECT CAST(w AS date) AS wk FROM generate_series(
        date_trunc('week', CAST(%(from)s AS date)), date_trunc('week', CAST(%(to)s AS date)),
        interval '7 days') AS w
),
ch AS (SELECT id FROM channel WHERE agency_id = %(a)s AND company_id = %(c)s),
seed AS (
    SELECT ch.id AS channel_id, CAST(date_trunc('week', CAST(%(from)s AS date)) - interval '7 days' AS date) AS wk,
           (SELECT m.value FROM metric_point m
             WHERE m.agency_id = %(a)s AND m.company_id = %(c)s AND m.channel_id = ch.id
               AND m.metric = %(metric)s AND m.date < %(from)s
             ORDER BY m.date DESC LIMIT 1) AS value
    FROM ch
),
inside AS (
    SELECT DISTINCT ON (channel_id, CAST(date_trunc('week', date) AS date))
           channel_id, CAST(date_trunc('week', date) AS date) AS wk, value
    FROM metric_point
    WHERE agency_id = %(a)s AND company_id = %(c)s AND metric = %(metric)s
      AND date BETWEEN %(from)s AND %(to)s
    ORDER BY channel_id, CAST(date_trunc('week', date) AS date), date DESC
),
grid AS (
    SELECT channel_id, wk, MAX(value) AS value FROM (
        SELECT channel_id, wk, value FROM inside
        UNION ALL SELECT ch.id, weeks.wk, NULL FROM ch CROSS JOIN weeks
        UNION ALL SELECT channel_id, wk, value FROM seed
    ) AS g GROUP BY channel_id, wk
),
runs AS (SELECT channel_id, wk, value,
                COUNT(value) OVER (PARTITION BY channel_id ORDER BY wk) AS grp FROM grid),
filled AS (SELECT channel_id, wk, MAX(value) OVER (PARTITION BY channel_id, grp) AS value FROM runs)
SELECT wk, SUM(value) FROM filled WHERE wk >= date_trunc('week', CAST(%(from)s AS date))
GROUP BY wk ORDER BY wk
"""

_PG_FLOW_WEEKS = """
SELECT CAST(date_trunc('week', date) AS date) AS wk, metric, SUM(value)
FROM metric_point
WHERE agency_id = %(a)s AND company_id = %(c)s AND metric = ANY(%(metrics)s)
  AND date BETWEEN %(from)s AND %(to)s
GROUP BY 1, 2 ORDER BY 1
"""

_PG_FLOW_PERIODS = """
SELECT metric,
       SUM(value) FILTER (WHERE date >= %(from)s),
       SUM(value) FILTER (WHERE date < %(from)s)
FROM metric_point
WHERE agency_id = %(a)s AND company_id = %(c)s AND metric = ANY(%(metrics)s)
  AND date BETWEEN %(pfrom)s AND %(to)s
GROUP BY metric
"""

FLOWS = [k for k, d in BUILTIN.items() if d.kind == FLOW]
GAUGES = [k for k, d in BUILTIN.items() if d.kind == GAUGE]


def _gauge_periods_sql(kind: str) -> str:
    if kind == "sqlite":
        a, c = ":a", ":c"
        days = {"to": ":to", "pto": ":pto", "pfrom": ":pfrom"}
        gauges = " UNION ALL ".join(f"SELECT '{g}' AS metric" for g in GAUGES)
    else:
        a, c = "%(a)s", "%(c)s"
        days = {"to": "%(to)s", "pto": "%(pto)s", "pfrom": "%(pfrom)s"}
        gauges = "VALUES " + ", ".join(f"('{g}')" for g in GAUGES)
        gauges = f"SELECT * FROM ({gauges}) AS v(metric)"

    def at(op, day):
        return _GAUGE_AT.format(a=a, c=c, op=op, day=days[day])

    return _GAUGE_PERIODS.format(at_to=at("<=", "to"), at_pto=at("<=", "pto"),
                                 before_pfrom=at("<", "pfrom"), gauges=gauges, a=a, c=c)


class RawQueries:
    """The hand-written reads for one company on one open driver connection."""

    def __init__(self, db, conn, agency_id, company_id):
        self.db = db
        self.conn = conn
        self.kind = db.kind
        self.base = {"a": db.id(agency_id), "c": db.id(company_id)}
        if self.kind == "sqlite":
            flows = ", ".join(f"'{m}'" for m in FLOWS)
            self.sql_flow_weeks = _SQLITE_FLOW_WEEKS.format(metrics="'reach', 'engagements'")
            self.sql_flow_periods = _SQLITE_FLOW_PERIODS.format(metrics=flows)
            self.sql_gauge_weeks = _SQLITE_GAUGE_WEEKS
        else:
            self.sql_flow_weeks = _PG_FLOW_WEEKS
            self.sql_flow_periods = _PG_FLOW_PERIODS
            self.sql_gauge_weeks = _PG_GAUGE_WEEKS
        self.sql_gauge_periods = _gauge_periods_sql(self.kind)

    def _all(self, sql: str, params: dict) -> list[tuple]:
        cur = self.conn.cursor()
        cur.execute(sql, params)
        rows = cur.fetchall()
        cur.close()
        return rows

    def _end(self) -> None:
        if self.kind == "postgresql":
            self.conn.rollback()  # end the read transaction, as a request would

    def read(self, date_from: dt.date, date_to: dt.date) -> dict[str, dict[str, float | None]]:
        """{metric: {monday iso: value}} for followers, reach and engagement_rate by week."""
        d = self.db.day
        p = {**self.base, "from": d(date_from), "to": d(date_to)}
        followers = self._all(self.sql_gauge_weeks, {**p, "metric": "followers"})
        flow_params = {**p, "metrics": ["reach", "engagements"]} if self.kind == "postgresql" else p
        flows = self._all(self.sql_flow_weeks, flow_params)
        self._end()
        out: dict[str, dict[str, float | None]] = {"followers": {}, "reach": {}, "engagement_rate": {}}
        for wk, value in followers:
            out["followers"][str(wk)] = value
        by_week: dict[str, dict[str, float]] = {}
        for wk, metric, value in flows:
            by_week.setdefault(str(wk), {})[metric] = value
        for wk, values in by_week.items():
            out["reach"][wk] = values.get("reach")
            out["engagement_rate"][wk] = derive("engagement_rate", values)
        return out

    def summary(self, date_from: dt.date, date_to: dt.date) -> dict[str, tuple[float | None, float | None]]:
        """{metric: (value over the period, value over the previous period of the same length)}."""
        d = self.db.day
        length = (date_to - date_from).days + 1
        pto = date_from - dt.timedelta(days=1)
        pfrom = date_from - dt.timedelta(days=length)
        p = {**self.base, "from": d(date_from), "to": d(date_to), "pto": d(pto), "pfrom": d(pfrom)}
        flow_params = {**p, "metrics": FLOWS} if self.kind == "postgresql" else p
        flows = self._all(self.sql_flow_periods, flow_params)
        gauges = self._all(self.sql_gauge_periods, p)
        self._end()
        cur: dict[str, float | None] = {}
        prev: dict[str, float | None] = {}
        for metric, now, before in flows:
            cur[metric], prev[metric] = now, before
        start: dict[str, float | None] = {}
        for metric, at_to, at_pto, before_pfrom in gauges:
            cur[metric], prev[metric], start[metric] = at_to, at_pto, before_pfrom
        out = {m: (cur.get(m), prev.get(m)) for m in set(cur) | set(prev)}
        for key, definition in BUILTIN.items():
            if definition.kind != DERIVED:
                continue
            if key == "follower_growth":
                f_now, f_prev, f_start = cur.get("followers"), prev.get("followers"), start.get("followers")
                out[key] = (
                    f_now - f_prev if f_now is not None and f_prev is not None else None,
                    f_prev - f_start if f_prev is not None and f_start is not None else None,
                )
            else:
                out[key] = (derive(key, cur), derive(key, prev))
        return out
