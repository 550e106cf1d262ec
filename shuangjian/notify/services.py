"""One small interface for telling people things.

`send()` writes an in-app message for each recipient, and hands it to every channel listed in
settings.NOTIFY_CHANNELS (dotted paths of callables taking a Notification) after the transaction
commits, so an SMS or WeChat sender can be added without touching the callers.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from shuangjian.org.cache import bump

from .models import Notification
from .selectors import unread_version


def send(
    *, users: Iterable, kind: str, title: str, body: str = "", url: str = ""
) -> list[Notification]:
    rows = Notification.objects.bulk_create(
        [
            Notification(user=u, kind=kind, title=title[:200], body=body, url=url)
            for u in {u.pk: u for u in users}.values()
        ]
    )
    if rows:
        bump(*(unread_version(row.user_id) for row in rows))
    for path in getattr(settings, "NOTIFY_CHANNELS", []):
        channel = import_string(path)
        for row in rows:
            transaction.on_commit(lambda row=row, channel=channel: channel(row))
    return rows


def mark_read(*, user, ids: Iterable[int]) -> int:
    marked = Notification.objects.filter(user=user, id__in=list(ids), read_at__isnull=True).update(
        read_at=timezone.now()
    )
    bump(unread_version(user.pk))
    return marked


def email_channel(notification: Notification) -> None:
    """Sends the message by e-mail when the person has an address and e-mail is configured."""
    from django.core.mail import send_mail

    if notification.user.email:
        send_mail(
            notification.title,
            f"{notification.body}\n\n{notification.url}".strip(),
            None,
            [notification.user.email],
            fail_silently=True,
        )
