"""Reading numbers from query strings and forms without trusting them."""


def int_param(value) -> int | None:
    """A posted id or number; None for anything else (including ids too big for the database)."""
    ok = isinstance(value, str) and value.isdecimal() and len(value) <= 15
    return int(value) if ok else None
