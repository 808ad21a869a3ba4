"""Small helpers for the rule checks of the strategy-side services.

Services accept what the API hands them (dates, floats) and what a form hands them (ISO strings,
numeric strings); every problem is collected with the API's field name (``kpi.target``,
``audiences.0.channels``) and raised together as one :class:`ValidationFailed`.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any, Protocol, cast

from ..bounds import DATE_MESSAGE, NUL_MESSAGE, NUMBER_MAX, NUMBER_MESSAGE, date_in_bounds, has_nul
from .errors import ValidationFailed

TEXT_LIMIT = 10_000
SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


class Problems:
    """Collects ``{"field", "message"}`` entries; :meth:`raise_if_any` raises them all."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append({"field": field, "message": message})

    def has(self, field: str) -> bool:
        return any(e["field"] == field for e in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in self.errors[:5])
            raise ValidationFailed(detail, errors=self.errors)

    # --- typed checks: each returns the clean value, or None after recording a problem ----
    def text(self, field: str, value: Any, *, limit: int = TEXT_LIMIT, required: bool = False) -> str | None:
        if value is None:
            value = ""
        if not isinstance(value, str):
            self.add(field, "Must be text.")
            return None
        text = value.strip()
        if has_nul(text):
            self.add(field, NUL_MESSAGE)
            return None
        if required and not text:
            self.add(field, "Must not be empty.")
            return None
        if len(text) > limit:
            self.add(field, f"At most {limit:,} characters (this has {len(text):,}).")
            return None
        return text

    def choice(self, field: str, value: Any, options: tuple[str, ...] | list[str]) -> str | None:
        if value not in options:
            self.add(field, f"Must be one of: {', '.join(options)}.")
            return None
        return cast(str, value)  # equal to one of the options

    def number(self, field: str, value: Any, *, required: bool = True, minimum: float | None = None,
               exclusive_minimum: float | None = None) -> float | None:
        if value is None or value == "":
            if required:
                self.add(field, "Missing data for required field.")
            return None
        if isinstance(value, bool):
            self.add(field, "Must be a number.")
            return None
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            self.add(field, "Must be a number.")
            return None
        if not math.isfinite(number):
            self.add(field, "Must be a finite number (not NaN or infinity).")
            return None
        if abs(number) >= NUMBER_MAX:
            self.add(field, NUMBER_MESSAGE)
            return None
        if minimum is not None and number < minimum:
            self.add(field, f"Must be {minimum:g} or more.")
            return None
        if exclusive_minimum is not None and number <= exclusive_minimum:
            self.add(field, f"Must be more than {exclusive_minimum:g}.")
            return None
        return number

    def date(self, field: str, value: Any, *, required: bool = True) -> dt.date | None:
        if value is None or value == "":
            if required:
                self.add(field, "Missing data for required field.")
            return None
        day: dt.date | None = None
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        if day is None:
            self.add(field, "Must be a date (YYYY-MM-DD).")
            return None
        if not date_in_bounds(day):
            self.add(field, DATE_MESSAGE)
            return None
        return day

    def boolean(self, field: str, value: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        self.add(field, "Must be true or false.")
        return None


class Versioned(Protocol):
    """A row edited under optimistic concurrency (its ``version`` goes up on every change)."""

    @property
    def version(self) -> int: ...


def check_version(obj: Versioned, expected_version: int | None, what: str) -> None:
    """Optimistic concurrency: refuse when the caller edited an older version."""
    from .errors import StaleObject

    if expected_version is not None and expected_version != obj.version:
        raise StaleObject(
            f"This {what} was changed by someone else meanwhile (you edited version {expected_version}, "
            f"it is now at version {obj.version}); reload and try again.",
            current_version=obj.version,
        )
