"""Login by username or mobile number, with throttling of failed attempts."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import User


class UsernameOrMobileBackend(ModelBackend):
    """Accepts either the username or the 11-digit mobile number as the login name."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        username = username.strip()
        user = User.objects.filter(Q(username=username) | Q(mobile=username)).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


def _keys(identifier: str, ip: str) -> list[str]:
    return [f"login-fail:id:{identifier.strip().lower()}", f"login-fail:ip:{ip}"]


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def is_throttled(identifier: str, ip: str) -> bool:
    limit = settings.LOGIN_MAX_FAILURES
    id_key, ip_key = _keys(identifier, ip)
    # An address gets more room than one account: a school's NAT puts many people behind it.
    return (cache.get(id_key, 0) >= limit) or (cache.get(ip_key, 0) >= limit * 10)


def _record_failure(identifier: str, ip: str) -> None:
    for key in _keys(identifier, ip):
        cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_checked(request, identifier: str, password: str) -> User:
    """Authenticate, counting failures; raises ValidationError with a code a client can show."""
    ip = client_ip(request)
    if is_throttled(identifier, ip):
        minutes = settings.LOGIN_FAILURE_WINDOW_SECONDS // 60
        raise ValidationError(
            _("Too many failed attempts. Try again in %(minutes)d minutes.") % {"minutes": minutes},
            code="login_throttled",
        )
    user = authenticate(request, username=identifier, password=password)
    if user is None:
        _record_failure(identifier, ip)
        raise ValidationError(_("The login name or password is not correct."), code="invalid_login")
    cache.delete(_keys(identifier, ip)[0])
    return user
