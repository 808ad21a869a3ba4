"""The limits every input is held to, in one place (pure: no Flask, no database).

Dates: every date a person or an integrator gives — a query's ``from``/``to``/``as_of``, a goal's
start and deadline, a campaign, a pushed point — lies between :data:`DATE_MIN` and
:data:`DATE_MAX`. Text never contains a NUL character (PostgreSQL cannot store one). JSON bodies
are at most :data:`JSON_MAX_DEPTH` levels deep and their integers at most
:data:`JSON_MAX_INT_DIGITS` digits long. Pages of lists are bounded.
"""
from __future__ import annotations

import datetime as dt

DATE_MIN = dt.date(2000, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
DATE_RANGE_TEXT = f"{DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}"
DATE_MESSAGE = f"Must be a date from {DATE_RANGE_TEXT}."

NUL_MESSAGE = "Must not contain a NUL character (\\u0000)."

JSON_MAX_DEPTH = 32
JSON_MAX_INT_DIGITS = 30

PAGE_MAX = 100_000

# A target, a baseline, a budget or a follower target: finite and below a trillion in size.
NUMBER_MAX = 1e12
NUMBER_MESSAGE = "Must be less than 1,000,000,000,000 in size."

# A pushed or imported day's value: sums over channels and ten years stay far from overflow.
METRIC_VALUE_MAX = 1e15

# Metric reads and exports.
READ_MAX_POINTS = 100_000
READ_MAX_YEARS = 10
READ_MAX_DAYS = 3653  # ten years, leap days included

# CSV import.
CSV_MAX_BYTES = 50_000_000
CSV_MAX_ROWS = 1_000_000
CSV_MAX_ERRORS = 1_000


def date_in_bounds(day: dt.date) -> bool:
    return DATE_MIN <= day <= DATE_MAX


def has_nul(text: str) -> bool:
    return "\x00" in text

# How long an agency keeps mention texts and authors (backend/services/listening/retention.py).
MENTION_RETENTION_DEFAULT_MONTHS = 24
MENTION_RETENTION_MIN_MONTHS, MENTION_RETENTION_MAX_MONTHS = 1, 120
