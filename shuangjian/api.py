"""The typed REST API under /api/v1/ (django-ninja, OpenAPI at /api/v1/docs).

Errors always come back as {"code", "message", and "field" or "rule"} with a 4xx status.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, django_auth

from shuangjian.errors import RuleViolation
from shuangjian.org.models import ApiToken, hash_secret


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        row = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_secret(token), expires_at__gt=timezone.now())
            .first()
        )
        if row is None or not row.user.is_active:
            return None
        ApiToken.objects.filter(id=row.id).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


api = NinjaAPI(
    title="shuangjian API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), django_auth],
    docs_url="/docs",
)


def error(request, status: int, code: str, message: str, /, **extra):
    # Positional-only: a rule's numbers may include names such as `status`.
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(NinjaValidationError)
def on_schema_error(request, exc: NinjaValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path", "payload")]
    return error(
        request,
        422,
        "invalid",
        first.get("msg", _("Invalid input.")),
        field=".".join(loc),
        errors=[
            {"field": ".".join(str(p) for p in e.get("loc", [])), "message": e.get("msg")}
            for e in exc.errors
        ],
    )


@api.exception_handler(RuleViolation)
def on_rule_violation(request, exc: RuleViolation):
    extra = {"field": exc.field} if exc.field else {}
    return error(request, 422, exc.code, exc.message, rule=exc.rule, **extra, **exc.numbers)


@api.exception_handler(DjangoValidationError)
def on_rule_error(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        err = errors[0]
        return error(
            request,
            422,
            err.code or "invalid",
            " ".join(err.messages),
            field=field,
            rule=err.code or "",
        )
    err = exc.error_list[0]
    return error(request, 422, err.code or "invalid", " ".join(err.messages), rule=err.code or "")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def on_denied(request, exc):
    return error(request, 403, "forbidden", _("Your role does not allow this."), rule=str(exc))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return error(request, 401, "unauthenticated", _("Log in or send a bearer token."))


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return error(request, exc.status_code, "error", str(exc))


api.add_router("/", "shuangjian.org.api.router")
api.add_router("/", "shuangjian.homework.api.router")
api.add_router("/", "shuangjian.complaints.api.router")
api.add_router("/", "shuangjian.surveys.api.router")
api.add_router("/", "shuangjian.letters.api.router")
api.add_router("/", "shuangjian.afterschool.api.router")
api.add_router("/", "shuangjian.afternoon.api.router")
api.add_router("/", "shuangjian.asreview.api.router")
api.add_router("/", "shuangjian.indicators.api.router")
api.add_router("/", "shuangjian.reporting.api.router")
