"""Login by username or mobile number, with throttling of failed attempts."""

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from shuangjian.throttle import Limiter

from .cache import cached, user_version
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

    def get_user(self, user_id):
        """The signed-in user, read on every request: kept in the shared cache until the row is
        saved or deleted (org.cache.user_version), which a password change, a deactivation and
        a login all do, so the session check against the password hash stays exact."""
        load = lambda: ModelBackend.get_user(self, user_id)  # noqa: E731
        return cached(f"user:{user_id}", [user_version(user_id)], load)


# An address gets more room than one account: a school's NAT puts many people behind it.
def _limiters() -> tuple[Limiter, Limiter]:
    limit, window = settings.LOGIN_MAX_FAILURES, settings.LOGIN_FAILURE_WINDOW_SECONDS
    return Limiter("login-id", limit, window), Limiter("login-ip", limit * 10, window)


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def is_throttled(identifier: str, ip: str) -> bool:
    by_id, by_ip = _limiters()
    return by_id.blocked(identifier.strip().lower()) or by_ip.blocked(ip)


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
    by_id, by_ip = _limiters()
    if user is None:
        by_id.hit(identifier.strip().lower())
        by_ip.hit(ip)
        raise ValidationError(_("The login name or password is not correct."), code="invalid_login")
    by_id.reset(identifier.strip().lower())
    return user
