"""The strategy editor: the brief's questions in order, drafts, activation, revision history."""
from __future__ import annotations

import re

from flask import abort, flash, g, redirect, render_template, request, url_for

from ..api.strategy.schemas import StrategyPutSchema
from ..services.errors import ServiceError
from .blueprint import bp
from .forms import FormErrors, FormInvalid, api_load, from_service_error, int_or_none, text

# The brief's questions (seeds/001), in the order the editor walks through them.
STEPS = [
    ("objective", "Objective",
     "What should the company achieve on social media, and how does that serve the overall business?"),
    ("audiences", "Audiences", "Whom should the company reach? Name each target group and where it is found."),
    ("engagement", "Engagement", "How does the company bring those target groups along?"),
    ("personality", "Personality", "Which personality does the company show online?"),
    ("channels", "Channel plan", "Which social media is the company present on, and why each one?"),
    ("launch", "Launch plan", "What is the plan for a good start: the first critical mass of followers, and by when?"),
    ("review", "Review", "How often do you measure and adjust the strategy?"),
]
STEP_FIELDS = {
    "objective": ("objective", "business_alignment"),
    "audiences": ("audiences",),
    "engagement": ("engagement_approach",),
    "personality": ("personality",),
    "channels": ("channel_plan",),
    "launch": ("launch_plan",),
    "review": ("review_cadence", "status"),
}
FIELD_LABELS = {
    "objective": "Objective", "business_alignment": "Business alignment", "audiences": "Audiences",
    "engagement_approach": "Engagement approach", "personality": "Personality", "channel_plan": "Channel plan",
    "launch_plan": "Launch plan", "review_cadence": "Review cadence", "status": "Status",
}
CADENCES = ("weekly", "monthly", "quarterly")
EDITABLE = ("objective", "business_alignment", "audiences", "engagement_approach", "personality",
            "channel_plan", "launch_plan", "review_cadence")
ROW_RE = re.compile(r"^(audiences|channel_plan)\.(\d+)\.(\w+)$")


def _svc():
    from ..services import strategy

    return strategy


def strategy_form(form) -> dict:
    """The API's strategy shape from the editor form; empty list rows are dropped."""
    rows: dict[str, dict[int, dict]] = {"audiences": {}, "channel_plan": {}}
    for name in form.keys():
        m = ROW_RE.match(name)
        if not m:
            continue
        group, index, field = m.group(1), int(m.group(2)), m.group(3)
        row = rows[group].setdefault(index, {})
        if group == "audiences" and field == "channels":
            row["channels"] = [v for v in form.getlist(name) if v]
        else:
            row[field] = (form.get(name) or "").strip()
    audiences = []
    for _, row in sorted(rows["audiences"].items()):
        if row.get("name") or row.get("description") or row.get("channels"):
            audiences.append({"name": row.get("name", ""), "description": row.get("description", ""),
                              "channels": row.get("channels", [])})
    plan = []
    for _, row in sorted(rows["channel_plan"].items()):
        if row.get("channel") or row.get("purpose"):
            plan.append({"channel": row.get("channel", ""), "purpose": row.get("purpose", "")})
    target = text(form, "launch_plan.followers_target").replace(" ", "").replace(",", ".")
    launch = {"followers_target": target or None, "target_date": text(form, "launch_plan.target_date") or None}
    return {
        "objective": text(form, "objective"),
        "business_alignment": text(form, "business_alignment"),
        "audiences": audiences,
        "engagement_approach": text(form, "engagement_approach"),
        "personality": text(form, "personality"),
        "channel_plan": plan,
        "launch_plan": launch,
        "review_cadence": text(form, "review_cadence") or "monthly",
    }


def _current(strategy) -> dict:
    return {name: getattr(strategy, name) for name in EDITABLE}


def _step_of(errors: FormErrors) -> int:
    for i, (key, _, _) in enumerate(STEPS):
        for field in STEP_FIELDS[key]:
            if any(e == field or e.startswith(field + ".") for e in errors):
                return i
    return 0


def _render(form=None, errors=None, status=200):
    from ..services.channels import all_channels

    company = g.path_objects["company_id"]
    strategy = _svc().get_strategy(company.id)
    channels = all_channels(company.id)
    errors = errors or FormErrors()
    return render_template("admin/strategy.html", company=company, strategy=strategy,
                           form=form if form is not None else _current(strategy), errors=errors,
                           steps=STEPS, first_step=_step_of(errors) if errors else 0, channels=channels,
                           cadences=CADENCES, section="companies", tab="strategy"), status


@bp.get("/companies/<uuid:company_id>/strategy")
def strategy(company_id):
    """The guided strategy editor."""
    return _render()


@bp.post("/companies/<uuid:company_id>/strategy")
def save_strategy(company_id):
    """Save the whole strategy as one new revision (draft or active); a stale form is refused."""
    form = strategy_form(request.form)
    data = dict(form)
    action = request.form.get("action", "save")
    if action == "activate":
        data["status"] = "active"
    elif action in ("draft", "draft_then_channels"):
        data["status"] = "draft"
    try:
        saved = _svc().update_strategy(company_id, api_load(StrategyPutSchema(), data),
                                       expected_revision=int_or_none(request.form, "revision"))
    except FormInvalid as err:
        return _render(form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(None if bad.errors.stale else form, bad.errors, bad.status)
    if action == "activate":
        flash(f"The strategy is active (revision {saved.revision}).")
    elif action == "draft_then_channels":
        flash(f"Saved the strategy as a draft (revision {saved.revision}). Add the channels, then go on with it.")
        return redirect(url_for("admin.channels", company_id=company_id, onboarding=1))
    else:
        flash(f"Saved the strategy as revision {saved.revision} ({saved.status}).")
    return redirect(url_for("admin.strategy", company_id=company_id))


def _revision_rows(company_id) -> list:
    return _svc().all_revisions(company_id)


@bp.get("/companies/<uuid:company_id>/strategy/revisions")
def strategy_revisions(company_id):
    """Every saved version of the strategy: who, when, which fields changed."""
    company = g.path_objects["company_id"]
    revisions = _revision_rows(company.id)
    return render_template("admin/strategy_revisions.html", company=company, revisions=revisions,
                           labels=FIELD_LABELS, section="companies", tab="strategy")


def _snapshot(company_id, number: int) -> dict:
    svc = _svc()
    snap = svc.get_revision(company_id, number)
    if hasattr(snap, "snapshot"):
        snap = snap.snapshot
    return dict(snap or {})


@bp.get("/companies/<uuid:company_id>/strategy/compare")
def strategy_compare(company_id):
    """Two versions of the strategy side by side, differences marked."""
    company = g.path_objects["company_id"]
    a, b = int_or_none(request.args, "a"), int_or_none(request.args, "b")
    if a is None or b is None:
        abort(400, "Choose two revisions to compare (a and b).")
    if a > b:
        a, b = b, a
    left, right = _snapshot(company.id, a), _snapshot(company.id, b)
    fields = [f for f in FIELD_LABELS if f in left or f in right]
    return render_template("admin/strategy_compare.html", company=company, a=a, b=b, left=left, right=right,
                           fields=fields, labels=FIELD_LABELS, revisions=_revision_rows(company.id),
                           section="companies", tab="strategy")
