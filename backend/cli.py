"""Flask CLI commands. Commands that act inside one agency bind a system principal for it;
commands that cross agencies say so with ``cross_tenant``."""
from __future__ import annotations

import uuid

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db
from .models import Agency
from .services.errors import ServiceError
from .tenancy import Principal, acting_as, cross_tenant


def _agency_principal(agency_id: str) -> Principal:
    try:
        aid = uuid.UUID(agency_id)
    except ValueError:
        raise click.BadParameter("not a UUID", param_hint="--agency") from None
    with cross_tenant("CLI: find the agency named on the command line"):
        agency = db.session.get(Agency, aid)
    if agency is None:
        raise click.BadParameter("no agency with this id", param_hint="--agency")
    return Principal.system(aid, "cli")


def _fail(err: ServiceError):
    details = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in (err.errors or []))
    raise click.ClickException(details or err.detail)


def register_cli(app: Flask) -> None:
    from .metrics_cli import import_metrics_cmd

    app.cli.add_command(import_metrics_cmd)
    from .jobs.cli import jobs_cli

    app.cli.add_command(jobs_cli)

    @app.cli.command("create-agency")
    @click.argument("name")
    @click.option("--owner-email", required=True)
    @click.option("--owner-password", required=True)
    def create_agency_cmd(name, owner_email, owner_password):
        """Create an agency (tenant) with its first owner; prints the agency id last."""
        from .services.accounts import create_agency

        try:
            agency, user = create_agency(name, owner_email, owner_password)
        except ServiceError as err:
            _fail(err)
        # (the user row is tenant-owned: read nothing from it outside its agency's principal)
        click.echo(f"Created agency {name!r} with owner {owner_email.strip().lower()}")
        click.echo(str(agency.id))

    @app.cli.command("create-user")
    @click.option("--agency", "agency_id", required=True)
    @click.option("--email", required=True)
    @click.option("--password", required=True)
    @click.option("--role", required=True, type=click.Choice(["owner", "admin", "member", "viewer"]))
    @click.option("--company", "companies", multiple=True, help="Company id (viewers; repeatable)")
    @click.option("--name", default="")
    def create_user_cmd(agency_id, email, password, role, companies, name):
        """Create agency staff or a client viewer."""
        from .services.accounts import create_user

        with acting_as(_agency_principal(agency_id)):
            try:
                user, _ = create_user({"email": email, "password": password, "role": role,
                                       "company_ids": list(companies), "name": name})
            except ServiceError as err:
                _fail(err)
            click.echo(f"Created {role} {user.email}")
            click.echo(str(user.id))

    @app.cli.command("create-api-key")
    @click.option("--agency", "agency_id", required=True)
    @click.option("--scope", "scopes", multiple=True, required=True,
                  type=click.Choice(["metrics:write", "read", "write", "admin"]))
    @click.option("--company", "company_id", default=None)
    @click.option("--name", default="CLI key")
    def create_api_key_cmd(agency_id, scopes, company_id, name):
        """Create an API key; prints the key alone on the last line (shown once)."""
        from .services.api_keys import create_key

        with acting_as(_agency_principal(agency_id)):
            try:
                key, plaintext = create_key({"name": name, "scopes": list(scopes), "company_id": company_id})
            except ServiceError as err:
                _fail(err)
            click.echo(f"Created API key {key.name} ({', '.join(key.scopes)}), id {key.id}. Store it now:")
            click.echo(plaintext)

    @app.cli.command("seed-demo")
    @click.option("--no-metrics", is_flag=True, help="Skip the 18 months of daily metrics (quick set-up).")
    def seed_demo_cmd(no_metrics):
        """Create or refresh the demo agency (idempotent) and print the logins."""
        from .demo import seed_demo

        logins = seed_demo(progress=click.echo, metrics=not no_metrics)
        click.echo("")
        click.echo(f"Demo logins (password for all: {logins['password']})")
        for role, email in logins["users"]:
            click.echo(f"  {role:<8} {email}")
        for company, period, status in logins["reports"]:
            click.echo(f"Report {period} of {company}: {status}")
        if logins["share_path"]:
            click.echo(f"Share link to a sent report (no login): {app.config['PUBLIC_BASE_URL']}{logins['share_path']}")

    @app.cli.command("list-agencies")
    def list_agencies_cmd():
        """List every agency (crosses tenants: operator command)."""
        with cross_tenant("CLI: operator lists all agencies"):
            for agency in db.session.scalars(select(Agency).order_by(Agency.name)):
                click.echo(f"{agency.id}  {agency.name}")

    @app.cli.command("db-maintenance")
    @click.option("--vacuum", is_flag=True,
                  help="SQLite: also VACUUM (rewrites the file; writers wait until it ends, and it needs "
                       "free disk space as large as the database). Ignored on PostgreSQL.")
    def db_maintenance_cmd(vacuum):
        """Upkeep that is safe while serving. SQLite: WAL checkpoint (TRUNCATE), ANALYZE,
        quick_check, sizes before and after. PostgreSQL: VACUUM (ANALYZE) of metric_point with
        its dead tuples before and after."""
        from .maintenance import MaintenanceError, postgres_maintenance, sqlite_maintenance, sqlite_path

        engine = db.engine
        try:
            if engine.dialect.name == "postgresql":
                if vacuum:
                    click.echo("--vacuum: nothing more on PostgreSQL (VACUUM FULL would lock the table)")
                postgres_maintenance(engine, progress=click.echo)
            elif (path := sqlite_path(engine.url)) is not None:
                sqlite_maintenance(path, vacuum=vacuum, progress=click.echo)
            else:
                raise MaintenanceError(f"nothing to maintain for {engine.url.render_as_string()}")
        except MaintenanceError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo("db-maintenance: done")
