"""Migration 0008 gives the companies that exist before it the default alert rules (new companies
get them when made); its downgrade still works."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]


def test_upgrading_to_0008_gives_existing_companies_the_default_rules(tmp_path):
    from flask_migrate import downgrade, upgrade

    app = make_app(f"sqlite:///{tmp_path / 'migrate.db'}")
    migrations = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations)
        from backend.extensions import db
        from backend.services.accounts import create_agency
        from backend.services.companies import create_company
        from backend.tenancy import Principal, acting_as

        agency, _owner = create_agency("Old Agency", "owner@old.test", "a long enough password 1")
        with acting_as(Principal.system(agency.id, "test")):
            companies = {create_company({"name": n}).id for n in ("Old One", "Old Two")}
        agency_id = agency.id
        db.session.remove()
        # Back to the database as it was before alerts, with its two companies; then 0008 again.
        downgrade(directory=migrations, revision="0007")
        tables = db.session.execute(db.text("SELECT name FROM sqlite_master WHERE type='table'")).scalars().all()
        assert "alert_rule" not in tables and "company" in tables
        db.session.remove()
        upgrade(directory=migrations)
        from backend.models import AlertRule

        with acting_as(Principal.system(agency_id, "test")):
            rules = db.session.scalars(select(AlertRule).order_by(AlertRule.kind)).all()
            assert sorted((r.company_id, r.kind) for r in rules) == sorted(
                (c, k) for c in companies for k in ("goal_status", "stale_data"))
            by_kind = {r.kind: r for r in rules}
            assert by_kind["stale_data"].params == {"days": 3}
            assert by_kind["goal_status"].params == {"statuses": ["achieved", "missed", "at_risk", "off_track"],
                                                     "goal_id": None}
            assert all(r.active and r.version == 1 and r.severity == "warning" for r in rules)
            assert len({r.id for r in rules}) == 4
        from backend.services.alert_rules import default_rules

        assert [(r["kind"], r["params"]) for r in default_rules()] == [
            (r.kind, r.params) for r in sorted(rules, key=lambda r: r.kind)[::2]]
        db.session.remove()


def _down_and_up_again_with_rows(tmp_path, down_to: str, *reads: str) -> list:
    """Build a database with an agency, its owner and a company; downgrade it to ``down_to`` and
    upgrade it again; check that every row is still there and return the ``reads`` (SQL, one value
    each) of the upgraded database."""
    from flask_migrate import downgrade, upgrade

    app = make_app(f"sqlite:///{tmp_path / 'migrate.db'}")
    migrations = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations)
        from backend.extensions import db
        from backend.services.accounts import create_agency
        from backend.services.companies import create_company
        from backend.tenancy import Principal, acting_as

        agency, _owner = create_agency("Old Agency", "owner@old.test", "a long enough password 1")
        with acting_as(Principal.system(agency.id, "test")):
            create_company({"name": "Old One"})
        db.session.remove()
        downgrade(directory=migrations, revision=down_to)
        db.session.remove()
        upgrade(directory=migrations)
        counts = {t: db.session.execute(db.text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("agency", "company", "alert_rule", "user")}
        assert counts == {"agency": 1, "company": 1, "alert_rule": 2, "user": 1}
        values = [db.session.execute(db.text(sql)).scalar() for sql in reads]
        db.session.remove()
    return values


def test_upgrading_to_0009_keeps_every_existing_row(tmp_path):
    """0009 adds agency.mention_retention_months in place: a batch copy of agency on SQLite would
    drop the table, and with foreign keys on that deletes everything that cascades from it."""
    assert _down_and_up_again_with_rows(tmp_path, "0008", "SELECT mention_retention_months FROM agency") == [24]


def test_upgrading_to_0010_keeps_every_row_and_gives_agencies_english(tmp_path):
    """0010 adds agency.default_locale and user.locale in place (no batch copy of either table,
    for the reason above): every row stays, agencies default to English, people to no choice."""
    assert _down_and_up_again_with_rows(tmp_path, "0009", "SELECT default_locale FROM agency",
                                        'SELECT locale FROM "user"') == ["en", None]
