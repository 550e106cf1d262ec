"""manage.py refresh_indicators [--since DATE] [--school CODE]: the nightly roll-up (SV-01).

Without --since: the schools marked stale since the last run are recomputed from their marked
day, then every school's last two days (snapshots move daily; bulk writes send no signals).
With --since: the schools (or the one --school) are recomputed from that day to today."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from shuangjian.indicators import services
from shuangjian.org.models import School


class Command(BaseCommand):
    help = "Recompute the daily indicator roll-ups (stale schools, or from --since)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="Recompute from this day (YYYY-MM-DD) to today.")
        parser.add_argument("--school", help="Only this school (its school code).")

    def handle(self, *args, since=None, school=None, **options) -> None:
        today = timezone.localdate()
        ids = None
        if school:
            ids = list(School.objects.filter(code=school).values_list("id", flat=True))
            if not ids:
                raise CommandError(f"No school with code {school}.")
        if since:
            try:
                first = parse_date(since)
            except ValueError:
                first = None
            if first is None:
                raise CommandError("--since takes a date, YYYY-MM-DD.")
            if first > today:
                raise CommandError("--since is after today.")
            rows = services.refresh(school_ids=ids, start=first, end=today)
        else:
            rows = services.refresh_stale(today=today, school_ids=ids)
            rows += services.refresh(school_ids=ids, start=today - timedelta(days=1), end=today)
        self.stdout.write(f"{rows} rows written.\n")
