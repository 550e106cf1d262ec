"""manage.py load_demo [--seed N] [--reset | --keep]: the demo data set and its logins."""

import time
import unicodedata

from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shuangjian.afternoon.demo import load_afternoon_demo
from shuangjian.afterschool.demo import load_afterschool_demo
from shuangjian.asreview.demo import load_asreview_demo
from shuangjian.complaints.demo import load_complaints_demo
from shuangjian.homework.demo import load_homework_demo
from shuangjian.indicators.demo import load_indicators_demo
from shuangjian.letters.demo import load_letters_demo
from shuangjian.org.demo import (
    DEMO_PASSWORD,
    DEMO_USERNAMES,
    DemoDataExists,
    demo_exists,
    load_demo,
)
from shuangjian.org.synthetic import load_synthetic_demo
from shuangjian.reporting.demo import load_reporting_demo
from shuangjian.surveys.demo import load_surveys_demo


def _width(text: str) -> int:
    """Columns a string takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    help = "Load the deterministic demo data set (two schools in 北票市) and list its logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=2021, help="Random seed (default 2021).")
        parser.add_argument("--reset", action="store_true", help="Delete existing demo data first.")
        parser.add_argument(
            "--keep",
            action="store_true",
            help="If the demo data exists already, keep it and only list the logins.",
        )

    def handle(self, *args, seed: int, reset: bool, keep: bool, **options) -> None:
        if keep and not reset and demo_exists():
            self.stdout.write(
                "演示数据已存在，保留不变（load_demo --reset 可重新生成）。演示账号："
            )
            for username in DEMO_USERNAMES:
                self.stdout.write(f"  {username:<10}  {DEMO_PASSWORD}")
            return
        started = time.perf_counter()
        try:
            with transaction.atomic():  # the schools and their term of homework, or nothing
                logins = load_demo(seed=seed, reset=reset, stdout=self.stdout)
                load_homework_demo(seed=seed, stdout=self.stdout)
                load_complaints_demo(seed=seed, stdout=self.stdout)
                survey = load_surveys_demo(seed=seed)
                self.stdout.write(f"家长问卷演示数据：{survey.title}（已结束）\n")
                load_letters_demo(seed=seed, stdout=self.stdout)
                load_afterschool_demo(seed=seed, stdout=self.stdout)
                load_afternoon_demo(seed=seed, stdout=self.stdout)
                load_asreview_demo(seed=seed, stdout=self.stdout)
                load_synthetic_demo(seed=seed, stdout=self.stdout)  # 18 more schools, bulk-written
                load_indicators_demo(seed=seed, stdout=self.stdout)  # roll-ups of all of it
                load_reporting_demo(seed=seed, stdout=self.stdout)
        except DemoDataExists as exc:
            raise CommandError(str(exc)) from exc
        # The loaders write in bulk, which tells no cache-invalidation receiver (org.cache): a
        # (re)loaded demo starts with an empty shared cache.
        cache.clear()
        self.stdout.write(f"用时 {time.perf_counter() - started:.1f} 秒\n")
        rows = [("角色", "用户名", "密码", "能看到、能做什么")]
        rows += [(d.role, d.username, d.password, d.sees) for d in logins]
        widths = [max(_width(row[i]) for row in rows) for i in range(3)]
        for row in rows:
            cells = [_pad(cell, w) for cell, w in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, row[3]]))
