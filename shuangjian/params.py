"""Reading numbers, dates and times from query strings and forms without trusting them."""

from datetime import date, time

# Dates a school system has any business with; a year like 9999 would overflow date arithmetic.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def int_param(value) -> int | None:
    """A posted id or number; None for anything else (including ids too big for the database)."""
    ok = isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) <= 15
    return int(value) if ok else None


def date_param(value) -> date | None:
    """A YYYY-MM-DD date from 2000 to 2100; None for anything else (2026-02-30 included)."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if FIRST_YEAR <= day.year <= LAST_YEAR else None


def time_param(value) -> time | None:
    """An HH:MM time of day (seconds allowed); None for anything else (25:00 included)."""
    if not isinstance(value, str) or not 4 <= len(value) <= 8:
        return None
    try:
        return time.fromisoformat(value if len(value) != 4 else "0" + value)
    except ValueError:
        return None
