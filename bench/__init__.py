"""``make bench``: Reachboard's speed measured against the database's own speed.

One run builds a scratch database (SQLite always; PostgreSQL too when ``BENCH_POSTGRES_URL`` is
set), starts gunicorn on loopback and measures side by side, on the same database:

- ingest: points/s pushed through ``POST /api/v1/companies/{id}/metrics`` (fresh points, then a
  re-push of the same points) against a raw ``executemany`` of the same rows with the driver;
- query: p50/p95 of the series read and the summary for a ≈130,000-point company against the
  same aggregate SQL run through the driver — once alone, once among 1,000 other companies;
- dashboard: server time of the company page's callbacks (``bench/dashboard_bench.py``).

It prints a table (value, baseline, ratio, target, pass/fail) and writes
``bench/results/latest.json``. ``python -m bench --help`` lists the options.

Dashboard hook: ``bench/dashboard_bench.py`` exposes ``measure(...)`` (or ``run``); the harness
calls it with the keyword arguments it declares among ``app`` (a Flask app on the bench
database), ``company_id``, ``agency_id``, ``user_id``, ``user_email`` (the agency owner),
``iterations``, ``base_url`` (the running gunicorn), ``database_url``, and expects a dict with
at least ``p50_ms`` and ``p95_ms`` (extra keys are kept in the JSON report).
"""
