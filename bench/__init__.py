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
"""
