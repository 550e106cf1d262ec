"""The versioned cache (issue 8).

Reads that every request repeats are kept in the shared cache (Redis, or the database table)
together with the tokens of the version keys they depend on.  A write gives those version keys
new random tokens, so an entry made before the write is never read again.  Receivers on
post_save/post_delete renew the tokens, so services, tests and cascades are all covered; a
bulk write (bulk_create, QuerySet.update, raw SQL) sends no signal and must call `bump` itself.

The version keys of the people and rosters live here; each app keeps its own beside the
selector that reads them (homework.selectors, notify.selectors, org.selectors).
"""

import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Guardianship, School, SchoolClass, Student, User

ENTRY_SECONDS = 24 * 3600  # unused entries expire; correctness comes from the tokens

# Who is whose parent, which pupils are active and in which class and school: the cached access
# decisions of parent pages (access.access_child).  One key for all schools: these change in
# term-start imports and the odd transfer, and each change costs a parent one query afterwards.
ROSTER_VERSION = "v:roster"


def user_version(user_id: int) -> str:
    """The signed-in user as the authentication backend reads it (auth.CachedUserBackend)."""
    return f"v:user:{user_id}"


def _new_token() -> str:
    return secrets.token_hex(8)


def bump(*version_keys: str) -> None:
    """Invalidate every entry that depends on these keys: at once (so the writing request sees
    its change) and again at commit (an entry a reader built from the not yet committed state,
    under the first new token, is dropped too)."""

    def renew():
        cache.set_many({key: _new_token() for key in version_keys}, None)

    renew()
    transaction.on_commit(renew)


def cached(key: str, version_keys: list[str], compute: Callable, seconds: int = ENTRY_SECONDS):
    """compute(), kept under `key` while the version keys keep their tokens; one cache round
    trip when it is there.  A missing version key gets a fresh token (never a fixed default, so
    an evicted token cannot revive an old entry).  `seconds` only bounds the memory an unused
    entry holds: correctness comes from the tokens."""
    found = cache.get_many([key, *version_keys])
    tokens = [found.get(v) for v in version_keys]
    if None in tokens:
        for v, token in zip(version_keys, tokens, strict=True):
            if token is None:
                cache.add(v, _new_token(), None)
        tokens = [found.get(v) or cache.get(v) for v in version_keys]
    entry = found.get(key)
    if entry is not None and entry[0] == tokens:
        return entry[1]
    value = compute()
    cache.set(key, (tokens, value), seconds)
    return value


@receiver([post_save, post_delete], sender=User)
def _user_changed(sender, instance, **kwargs):
    bump(user_version(instance.pk))


@receiver([post_save, post_delete], sender=Guardianship)
@receiver([post_save, post_delete], sender=Student)
@receiver([post_save, post_delete], sender=SchoolClass)
@receiver([post_save, post_delete], sender=School)
def _roster_changed(sender, instance, **kwargs):
    bump(ROSTER_VERSION)
