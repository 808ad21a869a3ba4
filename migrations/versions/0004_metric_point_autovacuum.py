"""metric_point: autovacuum settings for the upsert pattern (PostgreSQL only; nothing on SQLite)

A changed point is an UPDATE of its row, and since ``value`` is a column of the covering index
no update is HOT: every correction leaves a dead tuple in the table and an entry in each index.
With the server's defaults autovacuum waits for 20 % of the table to be dead (2 million rows of
a 10-million-row table) and re-analyzes after 10 % changed; daily exports that re-send the last
days with corrections reach that slowly but surely, and reads scan the dead rows meanwhile. Here
vacuum starts at 2 % (+1,000 rows), analyze at 2 % (+1,000), and a vacuum after 5 % new rows
(backfills) sets the visibility map that the covering index's index-only scans need.
docs/production.md explains the choice; make soak measures the dead tuples.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 16:00:00
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0.02",
    "autovacuum_vacuum_threshold": "1000",
    "autovacuum_analyze_scale_factor": "0.02",
    "autovacuum_analyze_threshold": "1000",
    "autovacuum_vacuum_insert_scale_factor": "0.05",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE metric_point SET (" + ", ".join(f"{k} = {v}" for k, v in SETTINGS.items()) + ")")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE metric_point RESET (" + ", ".join(SETTINGS) + ")")
