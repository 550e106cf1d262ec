"""Counting attempts in the shared cache: failed logins, code guesses, anonymous filings.

The cache is the database by default and Redis when configured, so every app process sees the
same counts.
"""

from dataclasses import dataclass

from django.core.cache import cache


@dataclass(frozen=True)
class Limiter:
    """At most `limit` counted attempts per key within `window` seconds."""

    name: str
    limit: int
    window: int

    def _key(self, key: str) -> str:
        return f"throttle:{self.name}:{key}"

    def blocked(self, key: str) -> bool:
        return cache.get(self._key(key), 0) >= self.limit

    def hit(self, key: str) -> None:
        full = self._key(key)
        cache.add(full, 0, self.window)
        try:
            cache.incr(full)
        except ValueError:  # expired between add and incr
            cache.set(full, 1, self.window)

    def reset(self, key: str) -> None:
        cache.delete(self._key(key))
