"""``make soak``: Reachboard under mixed load for minutes, not seconds (issue 19).

Per database (SQLite; PostgreSQL too when it answers) it sets up as ``make bench`` does, serves
with gunicorn exactly as ``make run`` does and runs, for 10 minutes by default (``--quick``: one
minute on small data), bounded loops of metric pushes (new and changed points), API reads driven
by ``wrk``, the dashboard's company page and CSV imports. Every 30 s it records throughput and
p50/p99 per kind of request, errors, each gunicorn process's RSS and open descriptors, the
database's connections and size, SQLite's WAL and PostgreSQL's dead tuples. At the end it
checkpoints, checks every acknowledged point against what is stored, writes
``bench/results/soak-latest.json`` with a chart per database, prints a table and judges the
targets. ``python -m bench.soak --help`` lists the options; docs/benchmarks.md says more.
"""
