"""The Redis cache backend of settings.CACHES (with REDIS_URL): Django's, sharing one redis-py
client per connection pool.  Runs against the local Redis server (database 14), and is skipped
where none is listening."""

import socket
import uuid

import pytest

from shuangjian.redis_cache import SharedClientRedisCache


def _redis_listening() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_listening(), reason="no Redis on 127.0.0.1:6379")


@pytest.fixture
def redis_cache():
    """A backend whose keys no other test shares (parallel workers use the same server)."""
    prefix = f"test-{uuid.uuid4().hex}"
    backend = SharedClientRedisCache("redis://127.0.0.1:6379/14", {"KEY_PREFIX": prefix})
    yield backend
    client = backend._cache.get_client(write=True)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_it_is_a_working_cache(redis_cache):
    redis_cache.set("a", {"x": [1, 2]}, 60)
    assert redis_cache.get("a") == {"x": [1, 2]}
    assert redis_cache.add("a", "other") is False
    assert redis_cache.add("b", 5) is True
    assert redis_cache.get_many(["a", "b", "missing"]) == {"a": {"x": [1, 2]}, "b": 5}
    redis_cache.set_many({"c": 1, "d": 2}, None)
    assert redis_cache.incr("c") == 2
    redis_cache.delete("a")
    assert redis_cache.get("a") is None
    assert redis_cache.get("missing", "fallback") == "fallback"


def test_one_client_serves_every_operation(redis_cache):
    client = redis_cache._cache.get_client("k")
    assert redis_cache._cache.get_client("other", write=True) is client
    redis_cache.set("k", 1)
    assert redis_cache._cache.get_client("k") is client
