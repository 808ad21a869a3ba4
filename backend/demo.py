"""Demo data for `make run`: one agency, its client companies and a user of each role.

Idempotent: running it again finds the demo agency by its owner's e-mail and leaves it as is.
"""
from __future__ import annotations

from sqlalchemy import select

from .extensions import db
from .models import Company, User
from .tenancy import Principal, acting_as, cross_tenant

DEMO_PASSWORD = "reachboard-demo"
OWNER_EMAIL = "owner@demo.reachboard.test"
DEMO_USERS = [
    ("owner", OWNER_EMAIL),
    ("admin", "admin@demo.reachboard.test"),
    ("member", "member@demo.reachboard.test"),
    ("viewer", "client@northwind.reachboard.test"),
]
DEMO_COMPANIES = [
    ("Northwind Coffee", "Food & beverage", "Europe/Stockholm"),
    ("Fjord Outdoor", "Retail", "Europe/Oslo"),
    ("Vistula Software", "B2B software", "Europe/Warsaw"),
]


def seed_demo(progress=print) -> dict:
    from .services.accounts import create_agency, create_user
    from .services.companies import create_company

    with cross_tenant("seed-demo: find the demo agency"):
        owner = db.session.scalars(select(User).where(User.email == OWNER_EMAIL)).first()
        agency_id = owner.agency_id if owner else None
    if agency_id is None:
        agency, _ = create_agency("Demo Agency", OWNER_EMAIL, DEMO_PASSWORD)
        agency_id = agency.id
        progress("Created the demo agency")
    with acting_as(Principal.system(agency_id, "seed-demo")):
        companies = {c.name: c for c in db.session.scalars(select(Company))}
        for name, industry, tz in DEMO_COMPANIES:
            if name not in companies:
                companies[name] = create_company({"name": name, "industry": industry, "timezone": tz})
                progress(f"Created company {name}")
        existing = {u.email for u in db.session.scalars(select(User))}
        for role, email in DEMO_USERS[1:]:
            if email in existing:
                continue
            company_ids = [companies["Northwind Coffee"].id] if role == "viewer" else []
            create_user({"email": email, "password": DEMO_PASSWORD, "role": role, "company_ids": company_ids})
            progress(f"Created {role} {email}")
    return {"password": DEMO_PASSWORD, "users": DEMO_USERS, "agency_id": agency_id}
