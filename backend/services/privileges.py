"""Who may do what to the agency-level objects: people, API keys, metric definitions and the
agency's settings. The README's privilege table is this module in words; the services call it
before they act, so the API, the admin pages and the CLI obey the same rules.

The rules:

- A company-restricted principal (a client viewer, a key bound to one company) never reads or
  changes agency-level objects. It may read and revoke its own key, and read ``GET /me``.
- People are managed by owners, admins and agency-wide admin keys (an admin key counts as an
  admin). Nobody changes a person of higher rank, or of equal rank unless they are an owner:
  no role, active flag, companies, name, set-password link or removal. A role is given only
  below one's own rank; owners give any role, so only an owner makes another owner.
- The agency always keeps an active owner.
- Passwords are changed by the person themself: through a set-password link, or with their
  current password. No field sets another person's password (the CLI, acting for the operator,
  may set one when it creates a person).
- API keys are created with at most the creator's scopes, for companies the creator reaches.
"""
from __future__ import annotations

from ..tenancy import ROLE_RANK, Forbidden, Principal

AGENCY_WIDE_ONLY = ("This is agency-level data; a client login or a key restricted to one company "
                    "cannot read or change it.")
PEOPLE_MANAGERS_ONLY = "Only agency owners and admins (or agency-wide admin keys) manage people."
KEY_MANAGERS_ONLY = "Only agency owners and admins (or agency-wide admin keys) manage API keys."
SETTINGS_MANAGERS_ONLY = "Only agency owners and admins (or agency-wide admin keys) change the agency's settings."


def is_agency_wide(p: Principal) -> bool:
    return p.company_ids is None


def require_agency_wide(p: Principal, message: str = AGENCY_WIDE_ONLY) -> None:
    if not is_agency_wide(p):
        raise Forbidden(message)


def rank(p: Principal) -> int:
    """A principal's rank among people: its role's, an admin key's is an admin's, other keys none."""
    if p.kind == "system":
        return ROLE_RANK["owner"]
    if p.kind == "user":
        return ROLE_RANK.get(p.role or "viewer", 0)
    return ROLE_RANK["admin"] if p.can("admin") else -1


def is_owner(p: Principal) -> bool:
    return p.kind in ("user", "system") and p.role == "owner"


def require_people_manager(p: Principal) -> None:
    require_agency_wide(p, PEOPLE_MANAGERS_ONLY)
    if not p.can("admin"):
        raise Forbidden(PEOPLE_MANAGERS_ONLY)


def require_key_manager(p: Principal) -> None:
    require_agency_wide(p, KEY_MANAGERS_ONLY)
    if not p.can("admin"):
        raise Forbidden(KEY_MANAGERS_ONLY)


def require_settings_manager(p: Principal) -> None:
    require_agency_wide(p, SETTINGS_MANAGERS_ONLY)
    if not p.can("admin"):
        raise Forbidden(SETTINGS_MANAGERS_ONLY)


def may_change_person(p: Principal, target_role: str) -> bool:
    """Higher rank than the person, or an owner (owners manage owners)."""
    return is_owner(p) or rank(p) > ROLE_RANK[target_role]


def require_may_change_person(p: Principal, target_role: str, what: str = "change") -> None:
    require_people_manager(p)
    if not may_change_person(p, target_role):
        raise Forbidden(f"You cannot {what} a person whose role ({target_role}) is not below your own; "
                        "ask an owner.")


def require_may_give_role(p: Principal, role: str) -> None:
    """Roles are given below one's own rank; an owner gives any role (ownership included)."""
    if is_owner(p):
        return
    if ROLE_RANK[role] >= rank(p):
        raise Forbidden(f"You cannot give the role '{role}': only an owner gives a role at or above "
                        "your own.")


def require_scopes_within(p: Principal, scopes: list[str]) -> None:
    """A key gets at most its creator's scopes."""
    from ..tenancy import SCOPE_GRANTS

    for scope in scopes:
        if not SCOPE_GRANTS.get(scope, set()) <= p.grants:
            raise Forbidden(f"You cannot create a key with the scope '{scope}', which is beyond your own.")
