"""The demo's indicator roll-ups: `load_indicators_demo()` runs `services.refresh` over the demo
term (from the start of the running term up to today) for every school of the demo province."""

import time
from datetime import date
from typing import TextIO

from django.db.models import Max
from django.utils import timezone

from shuangjian.org.demo import REGION_CODES
from shuangjian.org.models import School, Term

from . import services

DEMO_PROVINCE = REGION_CODES[-1]


def load_indicators_demo(
    *, seed: int, stdout: TextIO | None = None, today: date | None = None
) -> int:
    """Roll up the demo schools' indicators; returns the rows written.  (`seed` is taken for the
    same call shape as the other demo loaders: nothing here is random.)"""
    today = today or timezone.localdate()
    schools = School.objects.filter(county__parent__parent__code=DEMO_PROVINCE)
    start = Term.objects.filter(school__in=schools, start__lte=today).aggregate(s=Max("start"))["s"]
    if start is None:
        return 0
    started = time.perf_counter()
    rows = services.refresh(
        school_ids=list(schools.values_list("id", flat=True)), start=start, end=today
    )
    if stdout is not None:
        stdout.write(
            f"督导指标日汇总：{schools.count()} 所学校，{start} 至 {today}，"
            f"{rows} 行，用时 {time.perf_counter() - started:.1f} 秒\n"
        )
    return rows
