"""How grades and classes are named in Chinese schools, and how to read those names back."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

GRADE_NAMES = {
    1: gettext_lazy("Grade 1"),
    2: gettext_lazy("Grade 2"),
    3: gettext_lazy("Grade 3"),
    4: gettext_lazy("Grade 4"),
    5: gettext_lazy("Grade 5"),
    6: gettext_lazy("Grade 6"),
    7: gettext_lazy("Grade 7"),
    8: gettext_lazy("Grade 8"),
    9: gettext_lazy("Grade 9"),
    10: gettext_lazy("Grade 10"),
    11: gettext_lazy("Grade 11"),
    12: gettext_lazy("Grade 12"),
}

# Names as schools write them in rosters, mapped to the grade number.
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_GRADE_ALIASES = {
    **{f"{c}年级": n for c, n in _CN_DIGITS.items()},
    "初一": 7,
    "初二": 8,
    "初三": 9,
    "七年级": 7,
    "八年级": 8,
    "九年级": 9,
    "高一": 10,
    "高二": 11,
    "高三": 12,
}


def grade_label(grade: int) -> str:
    return str(GRADE_NAMES.get(grade, grade))


def class_label(grade: int, number: int) -> str:
    return _("%(grade)s Class %(number)d") % {"grade": grade_label(grade), "number": number}


def parse_grade(value: object) -> int | None:
    """'三年级', '初一', '3', 3, '3年级' → grade number; None when unreadable."""
    if value is None:
        return None
    text = str(value).strip().replace(" ", "")
    if text in _GRADE_ALIASES:
        return _GRADE_ALIASES[text]
    m = re.fullmatch(r"(\d{1,2})(?:\.0)?(?:年级)?", text)
    if m and 1 <= int(m.group(1)) <= 12:
        return int(m.group(1))
    return None


def parse_class_number(value: object) -> int | None:
    """'2班', '(2)班', '（2）班', '2', 2 → 2; None when unreadable."""
    if value is None:
        return None
    text = str(value).strip().replace(" ", "")
    m = re.fullmatch(r"[（(]?(\d{1,2})[)）]?(?:\.0)?班?", text)
    if m and int(m.group(1)) >= 1:
        return int(m.group(1))
    return None
