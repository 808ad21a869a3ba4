"""Agencies, people (staff and client viewers) and their access."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Iterable

from sqlalchemy import func, select

from ..extensions import db
from ..models import Agency, AgencyMembership, ClientAccess, PasswordToken, User, utcnow
from ..security import generate_token, hash_password, hash_token
from ..tenancy import ROLE_RANK, ROLES, ROLES_STAFF, Principal, acting_as, cross_tenant, current_principal
from . import audit
from .companies import get_company
from .errors import Conflict, Forbidden, NotFound, StaleObject, ValidationFailed

SET_PASSWORD_VALIDITY = dt.timedelta(days=7)
MIN_PASSWORD_LENGTH = 10


def create_agency(name: str, owner_email: str, owner_password: str | None) -> tuple[Agency, User]:
    """Create a tenant with its first owner (used by the CLI; crosses tenants by nature)."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.field("name", "An agency needs a name.")
    with cross_tenant("create a new agency"):
        _ensure_email_free(owner_email)
        agency = Agency(name=name)
        db.session.add(agency)
        db.session.flush()
        agency_id = agency.id
    with acting_as(Principal.system(agency_id, "cli")):
        user = _new_user(owner_email, owner_password, "owner", [], name="")
        audit.record("agency.create", object_type="agency", object_id=agency_id, summary=f"Created agency {name}")
        db.session.commit()
    return agency, user


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        raise ValidationFailed.field("email", "Enter a valid e-mail address.")
    return email


def _ensure_email_free(email: str) -> None:
    email = normalise_email(email)
    with cross_tenant("e-mail addresses are unique across agencies"):
        taken = db.session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email))
    if taken:
        raise Conflict("A user with this e-mail address already exists.",
                       errors=[{"field": "email", "message": "This e-mail address is already registered."}])


def _check_password(password: str | None) -> None:
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.field("password", f"Use at least {MIN_PASSWORD_LENGTH} characters.")


def _new_user(email: str, password: str | None, role: str, company_ids: Iterable, name: str = "") -> User:
    email = normalise_email(email)
    _check_password(password)
    user = User(email=email, name=name or "", password_hash=hash_password(password) if password else None)
    db.session.add(user)
    db.session.flush()
    if role in ROLES_STAFF:
        db.session.add(AgencyMembership(user_id=user.id, role=role))
    for cid in company_ids:
        db.session.add(ClientAccess(user_id=user.id, company_id=cid, role="viewer"))
    db.session.flush()
    return user


def _check_role_assignable(role: str) -> None:
    p = current_principal()
    if role not in ROLES:
        raise ValidationFailed.field("role", f"Must be one of: {', '.join(ROLES)}.")
    own = p.role if p.kind in ("user", "system") else ("admin" if p.can("admin") else None)
    if own is None or ROLE_RANK[role] > ROLE_RANK.get(own, -1):
        raise Forbidden(f"You cannot give the role '{role}', which is above your own.")


def list_users():
    current_principal().require("admin", "Only agency owners and admins manage people.")
    return select(User).order_by(User.email)


def get_user(user_id) -> User:
    current_principal().require("admin", "Only agency owners and admins manage people.")
    try:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound("No user with this id.") from None
    user = db.session.scalars(select(User).where(User.id == uid)).first()
    if user is None:
        raise NotFound("No user with this id.")
    return user


def user_company_ids(user: User) -> list[uuid.UUID]:
    return [a.company_id for a in user.client_access]


def create_user(data: dict[str, Any]) -> tuple[User, str | None]:
    """Create staff (role owner/admin/member) or a client viewer (role viewer + companies).

    Without a password, returns a one-time set-password token (valid 7 days) to pass on.
    """
    p = current_principal()
    p.require("admin", "Only agency owners and admins add people.")
    role = data.get("role", "member")
    _check_role_assignable(role)
    company_ids = [get_company(cid).id for cid in data.get("company_ids", [])]
    if role == "viewer" and not company_ids:
        raise ValidationFailed.field("company_ids", "A client viewer needs at least one company.")
    if role != "viewer" and company_ids:
        raise ValidationFailed.field("company_ids", "Only client viewers are bound to companies; staff see all.")
    _ensure_email_free(data["email"])
    user = _new_user(data["email"], data.get("password"), role, company_ids, name=data.get("name", ""))
    token = None
    if not data.get("password"):
        token = _issue_password_token(user)
    audit.record("user.create", user, object_type="user", summary=f"Added {user.email} as {role}")
    db.session.commit()
    return user, token


def _issue_password_token(user: User) -> str:
    token, digest = generate_token()
    db.session.add(PasswordToken(user_id=user.id, token_hash=digest, expires_at=utcnow() + SET_PASSWORD_VALIDITY))
    return token


def issue_password_link(user_id) -> str:
    user = get_user(user_id)
    token = _issue_password_token(user)
    audit.record("user.password_link", user, object_type="user", summary=f"Issued a set-password link for {user.email}")
    db.session.commit()
    return token


def update_user(user_id, data: dict[str, Any], *, expected_version: int | None = None) -> User:
    p = current_principal()
    user = get_user(user_id)
    if expected_version is not None and expected_version != user.version:
        raise StaleObject("This person was changed by someone else meanwhile; reload and try again.")
    changes = []
    if "role" in data and data["role"] != user.role:
        _check_role_assignable(data["role"])
        if ROLE_RANK[user.role] > ROLE_RANK.get(p.role or "admin", 2):
            raise Forbidden("You cannot change the role of someone above you.")
        if user.role == "owner" and _owner_count() <= 1:
            raise Conflict("The agency must keep at least one owner.")
        new_role = data["role"]
        if new_role in ROLES_STAFF:
            if user.membership is None:
                db.session.add(AgencyMembership(user_id=user.id, role=new_role))
            else:
                user.membership.role = new_role
            for access in list(user.client_access):
                db.session.delete(access)
        else:
            if user.membership is not None:
                db.session.delete(user.membership)
            if not data.get("company_ids") and not user.client_access:
                raise ValidationFailed.field("company_ids", "A client viewer needs at least one company.")
        changes.append("role")
    if "company_ids" in data:
        role = data.get("role", user.role)
        if role != "viewer":
            raise ValidationFailed.field("company_ids", "Only client viewers are bound to companies; staff see all.")
        wanted = {get_company(cid).id for cid in data["company_ids"]}
        if not wanted:
            raise ValidationFailed.field("company_ids", "A client viewer needs at least one company.")
        for access in list(user.client_access):
            if access.company_id not in wanted:
                db.session.delete(access)
        have = {a.company_id for a in user.client_access}
        for cid in wanted - have:
            db.session.add(ClientAccess(user_id=user.id, company_id=cid, role="viewer"))
        changes.append("companies")
    for field in ("name", "active"):
        if field in data and getattr(user, field) != data[field]:
            if field == "active" and user.id == p.user_id:
                raise ValidationFailed.field("active", "You cannot deactivate yourself.")
            setattr(user, field, data[field])
            changes.append(field)
    if "password" in data:
        _check_password(data["password"])
        user.password_hash = hash_password(data["password"])
        changes.append("password")
    if changes:
        user.version += 1
        audit.record("user.update", user, object_type="user", summary=f"Changed {', '.join(changes)} of {user.email}")
    db.session.commit()
    db.session.refresh(user)
    return user


def _owner_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AgencyMembership).where(AgencyMembership.role == "owner"))


def delete_user(user_id) -> None:
    p = current_principal()
    user = get_user(user_id)
    if user.id == p.user_id:
        raise ValidationFailed.field("id", "You cannot remove yourself.")
    if ROLE_RANK[user.role] > ROLE_RANK.get(p.role or "admin", 2):
        raise Forbidden("You cannot remove someone above you.")
    if user.role == "owner" and _owner_count() <= 1:
        raise Conflict("The agency must keep at least one owner.")
    audit.record("user.delete", user, object_type="user", summary=f"Removed {user.email}")
    db.session.delete(user)
    db.session.commit()


def set_password_with_token(token: str, password: str) -> User:
    """Redeem a one-time set-password link (no principal: the token is the credential)."""
    _check_password(password)
    digest = hash_token(token or "")
    with cross_tenant("redeem a set-password link"):
        row = db.session.scalars(select(PasswordToken).where(PasswordToken.token_hash == digest)).first()
        if row is None or row.used_at is not None or row.expires_at < utcnow():
            raise NotFound("This link is unknown, used or expired. Ask your agency for a new one.")
        user = db.session.get(User, row.user_id)
        user.password_hash = hash_password(password)
        row.used_at = utcnow()
        agency_id, user_id, email = user.agency_id, user.id, user.email
        db.session.flush()
    with acting_as(Principal(kind="user", agency_id=agency_id, label=email, grants=frozenset(), user_id=user_id)):
        audit.record("user.set_password", object_type="user", object_id=user_id, summary=f"{email} set a password")
        db.session.commit()
    return user


def check_password_token(token: str) -> bool:
    digest = hash_token(token or "")
    with cross_tenant("check a set-password link"):
        row = db.session.scalars(select(PasswordToken).where(PasswordToken.token_hash == digest)).first()
        return bool(row and row.used_at is None and row.expires_at >= utcnow())
