"""manage.py export_roster --school CODE --kind students|staff --output FILE."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shuangjian.org import roster
from shuangjian.org.access import operator_access
from shuangjian.org.models import School


class Command(BaseCommand):
    help = "Export a school's student roster or staff list to .xlsx, as the system operator."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--school", required=True, help="School code.")
        parser.add_argument("--kind", required=True, choices=["students", "staff"])
        parser.add_argument("--output", required=True, help="The .xlsx file to write.")

    def handle(self, *args, school: str, kind: str, output: str, **options) -> None:
        target = School.objects.filter(code=school).first()
        if target is None:
            raise CommandError(_("There is no school with code %(code)s.") % {"code": school})
        acc = operator_access(target)
        data = roster.export_staff(acc=acc) if kind == "staff" else roster.export_students(acc=acc)
        Path(output).write_bytes(data)
        self.stdout.write(
            self.style.SUCCESS(
                _("Wrote %(file)s (%(size)d bytes).") % {"file": output, "size": len(data)}
            )
        )
