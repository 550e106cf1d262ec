"""Figure formatting for the indicator pages: `{{ figure|figure }}` and `{{ figure|fraction }}`."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def figure(f) -> str:
    """91.8% for a percentage, 12 for a count, — when there is no data."""
    if f.value is None:
        return "—"
    if f.denominator is None:
        return number_format(f.value, 0)
    return f"{number_format(round(f.value, 1), 1)}%"  # number_format cuts, not rounds


@register.filter
def fraction(f) -> str:
    """numerator / denominator of a percentage; empty for a count."""
    if f.denominator is None:
        return ""
    return f"{number_format(f.numerator, 0)} / {number_format(f.denominator, 0)}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
