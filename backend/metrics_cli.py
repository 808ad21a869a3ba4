"""``flask import-metrics --company ID FILE.csv``: import a (large) CSV file of metrics.

The file is streamed: rows are read and checked in chunks (a progress bar on a terminal, a log
line every ``--log-every`` rows otherwise), then — only if every row is valid — all points are
upserted in one transaction, so a bad row anywhere writes nothing.
"""
from __future__ import annotations

import logging
import os
import uuid

import click
from flask.cli import with_appcontext

from .extensions import db
from .models import Company
from .services.errors import ServiceError
from .tenancy import Principal, acting_as, cross_tenant

log = logging.getLogger("backend.import_metrics")
MAX_ERRORS_SHOWN = 20


def _lines(handle, bar):
    """Decode a binary file line by line, advancing the progress bar by bytes read."""
    first = True
    for raw in handle:
        bar.update(len(raw))
        text = raw.decode("utf-8")
        if first:
            text = text.lstrip("\ufeff")
            first = False
        yield text


@click.command("import-metrics")
@click.option("--company", "company_id", required=True, help="The company's id (UUID)")
@click.option("--log-every", default=50_000, show_default=True, help="Log the row count every N rows")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_metrics_cmd(company_id, log_every, path):
    """Import metrics from a CSV file (long or wide form), all or nothing."""
    from .services.metrics import import_csv

    try:
        cid = uuid.UUID(company_id)
    except ValueError:
        raise click.BadParameter("not a UUID", param_hint="--company") from None
    with cross_tenant("CLI import: find the company's agency"):
        company = db.session.get(Company, cid)
        agency_id = company.agency_id if company is not None else None
        company_name = company.name if company is not None else ""
    if agency_id is None:
        raise click.BadParameter("no company with this id", param_hint="--company")
    size = os.path.getsize(path)
    counts = {"rows": 0}

    def progress(phase, n):
        if phase == "read":
            if log_every and n // log_every > counts["rows"] // log_every:
                click.echo(f"  {n:,} rows read and checked", err=True)
            counts["rows"] = n
        elif phase == "write":
            counts["written"] = counts.get("written", 0) + n
            click.echo(f"  {counts['written']:,} points written", err=True)

    with acting_as(Principal.system(agency_id, "cli")):
        try:
            with open(path, "rb") as handle, click.progressbar(length=size, label="Reading", file=None) as bar:
                result = import_csv(cid, _lines(handle, bar), progress=progress, log_every=log_every)
        except UnicodeDecodeError:
            raise click.ClickException("The file is not UTF-8 text; nothing was imported.") from None
        except ServiceError as err:
            lines = [err.detail]
            for e in (err.errors or [])[:MAX_ERRORS_SHOWN]:
                where = f"row {e['row']}" if "row" in e else ""
                lines.append(f"  {where} {e.get('field')}: {e.get('message')}".rstrip())
            shown = min(len(err.errors or []), MAX_ERRORS_SHOWN)
            total = err.extra.get("error_count", len(err.errors or []))
            if total > shown:
                lines.append(f"  ... and {total - shown} more")
            raise click.ClickException("\n".join(lines)) from None
    click.echo(
        f"Imported {result['received']:,} points from {result['rows']:,} rows into {company_name}: "
        f"{result['created']:,} created, {result['updated']:,} updated, {result['unchanged']:,} unchanged."
    )
