"""The error a service raises when a policy rule refuses something.

It is a Django ValidationError (forms show it like any other), and it also carries the
requirement ID and the numbers involved so the API can return them:
{"code": "daily_limit_exceeded", "message": ..., "rule": "HW-02", "limit": 60, "total": 75, ...}.
"""

from django.core.exceptions import ValidationError


class RuleViolation(ValidationError):
    def __init__(self, message: str, *, code: str, rule: str, field: str | None = None, **numbers):
        super().__init__(message, code=code)
        self.rule = rule
        self.field = field
        self.numbers = numbers


def field_of(exc: ValidationError) -> str:
    """The input field an error is about: RuleViolation.field, else the first key of an error
    dict; "" when it names none."""
    if getattr(exc, "field", None):
        return exc.field
    if hasattr(exc, "error_dict"):
        return next(iter(exc.error_dict), "")
    return ""
