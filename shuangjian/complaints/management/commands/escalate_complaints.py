"""Daily cron: escalate overdue complaints to the city bureau (SV-03).  Safe to run twice."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from shuangjian.complaints.services import escalate_overdue


class Command(BaseCommand):
    help = "Escalate every overdue open complaint to the region above its county (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD (default: today in TIME_ZONE)")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today must be YYYY-MM-DD") from None
        cases = escalate_overdue(today=today)
        for c in cases:
            self.stdout.write(f"#{c.id} {c.school} due {c.deadline:%Y-%m-%d} → {c.escalated_to}")
        self.stdout.write(f"{len(cases)} complaint(s) escalated.")
