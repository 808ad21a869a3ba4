"""Agencies, people (staff and client viewers) and their access."""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select, update

from ..extensions import db
from ..i18n import say
from ..models import Agency, AgencyMembership, ClientAccess, PasswordToken, User, utcnow
from ..security import generate_token, hash_password, hash_token, verify_password
from ..tenancy import ROLES, ROLES_STAFF, Forbidden, Principal, acting_as, cross_tenant, current_principal
from . import audit, privileges
from .companies import get_company
from .errors import Conflict, NotFound, StaleObject, ValidationFailed

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
        raise ValidationFailed.field("email", say("Enter a valid e-mail address."))
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
        raise ValidationFailed.field("password", say("Use at least %(num)d characters.", num=MIN_PASSWORD_LENGTH))


def _new_user(email: str, password: str | None, role: str, company_ids: Iterable[uuid.UUID], name: str = ""
              ) -> User:
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
    if role not in ROLES:
        raise ValidationFailed.field("role", f"Must be one of: {', '.join(ROLES)}.")
    privileges.require_may_give_role(current_principal(), role)


def list_users() -> Select[User]:
    privileges.require_people_manager(current_principal())
    return select(User).order_by(User.email)


def all_users() -> list[User]:
    """Every person of the agency, by e-mail (what :func:`list_users` selects)."""
    return list(db.session.scalars(list_users()))


def get_user(user_id: uuid.UUID | str) -> User:
    privileges.require_people_manager(current_principal())
    try:
        uid = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound("No user with this id.") from None
    user = db.session.scalars(select(User).where(User.id == uid)).first()
    if user is None:
        raise NotFound("No user with this id.")
    return user


def create_user(data: dict[str, Any]) -> tuple[User, str | None]:
    """Create staff (role owner/admin/member) or a client viewer (role viewer + companies).

    Without a password, returns a one-time set-password token (valid 7 days) to pass on. Only the
    operator's CLI (a system principal) may set someone's first password.
    """
    p = current_principal()
    privileges.require_people_manager(p)
    if data.get("password") is not None and p.kind != "system":
        raise ValidationFailed.field("password", "People choose their own password through the set-password link.")
    role = data.get("role", "member")
    _check_role_assignable(role)
    company_ids = list(dict.fromkeys(get_company(cid).id for cid in data.get("company_ids", [])))
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
    """A new one-time link; every older unused link of the person stops working."""
    _revoke_password_tokens(user.id)
    token, digest = generate_token()
    db.session.add(PasswordToken(user_id=user.id, token_hash=digest, expires_at=utcnow() + SET_PASSWORD_VALIDITY))
    return token


def _revoke_password_tokens(user_id: uuid.UUID) -> None:
    db.session.execute(update(PasswordToken).where(PasswordToken.user_id == user_id, PasswordToken.used_at.is_(None))
                       .values(used_at=utcnow()))


def issue_password_link(user_id: uuid.UUID | str) -> str:
    p = current_principal()
    user = get_user(user_id)
    if user.id == p.user_id:
        raise ValidationFailed.field("id", "Change your own password on your account page.")
    privileges.require_may_change_person(p, user.role, "issue a set-password link for")
    token = _issue_password_token(user)
    audit.record("user.password_link", user, object_type="user", summary=f"Issued a set-password link for {user.email}")
    db.session.commit()
    return token


def _signs_out(user: User) -> None:
    """Every session of the person made before now stops working."""
    user.auth_epoch = (user.auth_epoch or 1) + 1


def update_user(user_id: uuid.UUID | str, data: dict[str, Any], *, expected_version: int | None = None) -> User:
    p = current_principal()
    user = get_user(user_id)
    if expected_version is not None and expected_version != user.version:
        raise StaleObject("This person was changed by someone else meanwhile; reload and try again.")
    if "password" in data:
        raise ValidationFailed.field("password", "Passwords are set by their owner: send a set-password link.")
    myself = user.id == p.user_id
    wants = {f for f in ("role", "company_ids", "name", "active")
             if f in data and (f == "company_ids" or data[f] != getattr(user, f))}
    if myself:
        if "active" in wants:
            raise ValidationFailed.field("active", "You cannot deactivate yourself.")
        if "company_ids" in wants:
            raise ValidationFailed.field("company_ids", "Only client viewers are bound to companies; staff see all.")
        if "role" in wants and not privileges.is_owner(p):
            raise Forbidden("You cannot change your own role; ask an owner.")
    elif wants:
        privileges.require_may_change_person(p, user.role)
    changes = []
    if "role" in wants:
        _check_role_assignable(data["role"])
        if user.role == "owner" and _other_active_owners(user.id) == 0:
            raise Conflict("The agency must keep an active owner: make someone else owner first.")
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
        if field in wants:
            if field == "active" and not data[field] and user.role == "owner" and _other_active_owners(user.id) == 0:
                raise Conflict("The agency must keep an active owner: make someone else owner first.")
            setattr(user, field, data[field])
            changes.append(field)
    if "role" in changes or "active" in changes:
        _signs_out(user)
    if changes:
        user.version += 1
        audit.record("user.update", user, object_type="user", summary=f"Changed {', '.join(changes)} of {user.email}")
    db.session.commit()
    db.session.refresh(user)
    return user


def _other_active_owners(user_id: uuid.UUID) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AgencyMembership).join(User, User.id == AgencyMembership.user_id)
        .where(AgencyMembership.role == "owner", User.active.is_(True), User.id != user_id)) or 0


def delete_user(user_id: uuid.UUID | str) -> None:
    p = current_principal()
    user = get_user(user_id)
    if user.id == p.user_id:
        raise ValidationFailed.field("id", "You cannot remove yourself.")
    privileges.require_may_change_person(p, user.role, "remove")
    if user.role == "owner" and _other_active_owners(user.id) == 0:
        raise Conflict("The agency must keep an active owner: make someone else owner first.")
    audit.record("user.delete", user, object_type="user", summary=f"Removed {user.email}")
    db.session.delete(user)
    db.session.commit()


def change_own_password(current_password: str, new_password: str) -> User:
    """A logged-in person changes their password with the current one; every other session of
    theirs is signed out (the caller renews its own)."""
    p = current_principal()
    if p.kind != "user" or p.user_id is None:
        raise Forbidden("Only a logged-in person changes their own password.")
    user = db.session.scalars(select(User).where(User.id == p.user_id)).one()
    if not verify_password(user.password_hash, current_password or ""):
        raise ValidationFailed.field("current_password", say("This is not your current password."))
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    _revoke_password_tokens(user.id)
    _signs_out(user)
    audit.record("user.change_password", user, object_type="user", summary=f"{user.email} changed their password")
    db.session.commit()
    return user


def set_own_locale(code: str | None) -> str:
    """A logged-in person's language (the navigation bar's menu); an unknown code saves English
    rather than failing (backend/i18n.py). The code saved."""
    from ..i18n import DEFAULT_LOCALE, known_locale

    p = current_principal()
    if p.kind != "user" or p.user_id is None:
        raise Forbidden("Only a logged-in person chooses their own language.")
    user = db.session.scalars(select(User).where(User.id == p.user_id)).one()
    user.locale = known_locale(code) or DEFAULT_LOCALE
    db.session.commit()
    return user.locale


def sign_out_everywhere(user_id: uuid.UUID, reason: str = "sign_out") -> None:
    """Raise the person's auth epoch: every session made before now stops working (logout, "sign
    out everywhere"). Runs with or without a principal (logout happens as the session ends)."""
    with cross_tenant("end a person's sessions"):
        user = db.session.get(User, user_id)
        if user is None:
            return
        _signs_out(user)
        db.session.commit()


def set_password_with_token(token: str, password: str) -> User:
    """Redeem a one-time set-password link (no principal: the token is the credential)."""
    _check_password(password)
    digest = hash_token(token or "")
    with cross_tenant("redeem a set-password link"):
        row = db.session.scalars(select(PasswordToken).where(PasswordToken.token_hash == digest)).first()
        if row is None or row.used_at is not None or row.expires_at < utcnow():
            raise NotFound(say("This link is unknown, used or expired. Ask your agency for a new one."))
        user = db.session.get_one(User, row.user_id)  # the token's person (the token goes with them)
        user.password_hash = hash_password(password)
        row.used_at = utcnow()
        _revoke_password_tokens(user.id)  # using one link revokes the others
        _signs_out(user)
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
