"""Tracking codes and the throttling of code look-ups and filings (SV-03).

A code is 16 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown in groups of
four: 31^16 ≈ 2^79 possibilities.  Only its SHA-256 is stored, so nobody can read a code back out
of the database.  Look-ups that find nothing are counted per address in the shared cache (as
failed logins are in org/auth.py); past the limit every look-up is refused for a while, found or
not, so the refusal says nothing about any code.
"""

import re
import secrets

from shuangjian.org.auth import client_ip
from shuangjian.org.models import hash_secret
from shuangjian.throttle import Limiter

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
GROUP = 4
LOOKUP_MAX_FAILURES = 20  # per address and window (a school's NAT hides many parents)
FILING_MAX_PER_WINDOW = 20  # complaints filed from one address per window
WINDOW_SECONDS = 60 * 60


def new_code(rng=None) -> str:
    """A fresh code, grouped for reading aloud: ABCD-EFGH-JKMN-PQRS."""
    choice = (rng or secrets.SystemRandom()).choice
    raw = "".join(choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalise(code: str) -> str:
    """What the person typed, without spaces and dashes, in capitals."""
    return re.sub(r"[\s\-]+", "", code or "").upper()


def code_hash(code: str) -> str:
    return hash_secret("complaint:" + normalise(code))


LOOKUPS = Limiter("complaint-track-fail", LOOKUP_MAX_FAILURES, WINDOW_SECONDS)
FILINGS = Limiter("complaint-file", FILING_MAX_PER_WINDOW, WINDOW_SECONDS)


def lookup_throttled(request) -> bool:
    return LOOKUPS.blocked(client_ip(request))


def record_failed_lookup(request) -> None:
    LOOKUPS.hit(client_ip(request))


def filing_throttled(request) -> bool:
    return FILINGS.blocked(client_ip(request))


def record_filing(request) -> None:
    FILINGS.hit(client_ip(request))
