"""Failed jobs and the outbox are agency-level, like people and keys: a principal restricted to
some companies never sees them, whatever its grants (README, "Who may do what")."""
from __future__ import annotations

import dataclasses

import pytest


@pytest.mark.parametrize("reader", ["jobs", "outbox"])
def test_a_company_restricted_principal_with_admin_grants_is_refused(app, tenant, outbox, reader):
    from backend.services.jobs import job_failures
    from backend.services.outbox import outbox_messages
    from backend.tenancy import Forbidden, Principal, acting_as

    read = job_failures if reader == "jobs" else outbox_messages
    agency_wide = Principal.system(tenant.agency_id)
    restricted = dataclasses.replace(agency_wide, company_ids=frozenset({tenant.company_a.id}))
    with app.app_context():
        with acting_as(agency_wide):
            assert read() == []
        with acting_as(restricted), pytest.raises(Forbidden):
            read()
