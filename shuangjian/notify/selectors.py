"""Reads of in-app messages."""

from shuangjian.org.cache import cached

from .models import Notification


def unread_version(user_id: int) -> str:
    """A person's unread messages: renewed by `services.send` and `services.mark_read`, the
    only writers (both write in bulk, so no signal would tell)."""
    return f"v:unread:{user_id}"


def unread_count(user) -> int:
    """The count in every page's header, kept in the shared cache until it changes."""
    return cached(
        f"unread:{user.pk}",
        [unread_version(user.pk)],
        lambda: Notification.objects.filter(user=user, read_at__isnull=True).count(),
    )
