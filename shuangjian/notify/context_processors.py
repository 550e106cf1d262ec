from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def unread(request):
    """The unread-message count in the page header (from the shared cache, only when shown)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_count": SimpleLazyObject(lambda: unread_count(user))}
