"""Migrations match the models (one head, no drift) and SQLite writers wait instead of failing."""
from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import ROOT, make_app
from sqlalchemy import text


@pytest.mark.no_db
def test_migrations_have_exactly_one_head():
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}; merge them"


def test_models_match_the_migrations(app):
    """The session database was built by `flask db upgrade`; autogenerate must find nothing."""
    from backend.extensions import db
    from backend.models.listening import outside_the_models

    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                     "include_object": outside_the_models})
        diffs = compare_metadata(ctx, db.metadata)
        version = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        dialect = conn.dialect.name
    assert not diffs, f"models and migrations differ ({dialect}): {diffs}"
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    assert version == ScriptDirectory.from_config(cfg).get_current_head()


def test_tenant_tables_lead_with_agency_id(app):
    from backend.extensions import db
    from backend.models import TENANT_MODELS

    for model in TENANT_MODELS:
        table = model.__table__
        # Only a model that declares system rows (JobFailure: a system job's failure) may leave it empty.
        assert not table.c.agency_id.nullable or getattr(model, "__system_rows__", False), table.name
        for constraint in table.constraints:
            cols = [c.name for c in getattr(constraint, "columns", [])]
            if constraint.__class__.__name__ == "UniqueConstraint" and cols and not cols[0].endswith("_hash") \
                    and table.name != "user":  # user e-mail and key/token hashes are global by design
                assert cols[0] == "agency_id", (table.name, cols)
        for index in table.indexes:
            assert [c.name for c in index.columns][0] == "agency_id", (table.name, index.name)
    assert db.metadata.tables["user"].c.email.unique  # e-mail is unique across agencies


@pytest.mark.no_db
def test_sqlite_concurrent_writers_do_not_fail(tmp_path):
    """Several threads write (read-then-write transactions, as gunicorn workers do) to one file
    database: BEGIN IMMEDIATE + busy_timeout make them queue instead of 'database is locked'."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    url = f"sqlite:///{tmp_path / 'concurrent.db'}"
    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        from backend.extensions import db

        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA busy_timeout")).scalar() >= 1000
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1
        db.session.remove()
    from backend.services.accounts import create_agency
    from backend.services.api_keys import create_key
    from backend.tenancy import Principal, acting_as

    with app.app_context():
        agency, _ = create_agency("Busy Agency", "owner@busy.test", "long-enough-password")
        with acting_as(Principal.system(agency.id)):
            _, key = create_key({"name": "k", "scopes": ["admin"]})
        agency_id = agency.id

    errors: list[str] = []
    barrier = threading.Barrier(4)

    def service_writer(n: int):
        from backend.extensions import db
        from backend.models import Company
        from backend.services.companies import create_company

        barrier.wait()
        for i in range(10):
            try:
                with app.app_context(), acting_as(Principal.system(agency_id)):
                    db.session.scalar(select(func.count()).select_from(Company))  # read first ...
                    create_company({"name": f"svc {n}-{i}"})  # ... then write
            except Exception as exc:  # noqa: BLE001 - collected for the assertion
                errors.append(f"{type(exc).__name__}: {exc}")

    def api_writer(n: int):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}
        barrier.wait()
        for i in range(10):
            resp = client.post("/api/v1/companies", json={"name": f"api {n}-{i}"}, headers=headers)
            read = client.get("/api/v1/companies?page_size=1", headers=headers)
            if resp.status_code != 201 or read.status_code != 200:
                errors.append(f"{resp.status_code} {read.status_code} {resp.get_data(as_text=True)[:200]}")

    threads = [threading.Thread(target=service_writer, args=(n,)) for n in range(2)]
    threads += [threading.Thread(target=api_writer, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    with app.app_context(), acting_as(Principal.system(agency_id)):
        from backend.extensions import db
        from backend.models import Company

        assert db.session.scalar(select(func.count()).select_from(Company)) == 40
        db.session.remove()
        db.engine.dispose()


def test_postgresql_plans_each_statement_for_its_values(app, tenant):
    """Prepared statements must not fall back to generic plans on PostgreSQL (see
    backend/database.py), except the push's upsert, for its own transaction only; SQLite has no
    plan cache to configure."""
    from backend.extensions import db
    from backend.services import metrics
    from backend.services.channels import create_channel
    from backend.services.metrics import write
    from backend.tenancy import Principal, acting_as

    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")
        assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
    with app.app_context(), acting_as(Principal.system(tenant.agency_id)):
        create_channel(tenant.company_a.id, {"key": "fb", "platform": "facebook"})
        seen = []
        original = write.upsert

        def spy(*args, **kwargs):
            answer = original(*args, **kwargs)
            seen.append(db.session.execute(text("SHOW plan_cache_mode")).scalar())
            return answer

        write.upsert = spy
        try:
            metrics.push_points(tenant.company_a.id, [{"channel": "fb", "metric": "followers",
                                                       "date": "2024-01-01", "value": 10}])
        finally:
            write.upsert = original
        assert seen == ["auto"]  # inside the push's transaction
        assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"  # and after it
