"""manage.py close_afternoon [--date YYYY-MM-DD] [--school CODE]: the end-of-day reconciliation
(AS-08) of every school (or one) — run it each evening after the last session."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from shuangjian.afternoon import services
from shuangjian.org.models import School


class Command(BaseCommand):
    help = "Close the after-school afternoon of a day: final states and unexplained-absence alerts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", default="", help="The day (default: today).")
        parser.add_argument("--school", default="", help="A school code (default: every school).")

    def handle(self, *args, date: str, school: str, **options) -> None:
        try:
            day = parse_date(date) if date else timezone.localdate()
        except ValueError:  # well formed but no such day: 2026-02-30
            day = None
        if day is None:
            raise CommandError(_("Enter a valid date (YYYY-MM-DD)."))
        schools = School.objects.order_by("code")
        if school:
            schools = schools.filter(code=school)
            if not schools.exists():
                raise CommandError(_("There is no school with code %(code)s.") % {"code": school})
        for s in schools:
            started = time.perf_counter()
            try:
                r = services.close_day(school=s, day=day)
            except ValidationError as exc:
                self.stdout.write(f"{s.code} {day}: {' '.join(exc.messages)}")
                continue
            ms = (time.perf_counter() - started) * 1000
            self.stdout.write(
                f"{s.code} {day}: {r.sessions} sessions, {r.rows} pupils, "
                f"finalised {r.finalised}, {r.alerts} alerts, {ms:.0f} ms"
            )
