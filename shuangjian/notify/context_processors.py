from django.utils.functional import SimpleLazyObject

from .models import Notification


def unread(request):
    """The unread-message count in the page header (one small query, only when shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_count": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        )
    }
