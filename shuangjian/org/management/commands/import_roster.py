"""manage.py import_roster --school CODE --kind students|staff FILE: a roster into a school."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from shuangjian.org import roster
from shuangjian.org.models import School

PHASES = {
    "read": pgettext_lazy("import phase", "Reading"),
    "check": gettext_lazy("Checking"),
    "save": gettext_lazy("Saving"),
}


class Command(BaseCommand):
    help = (
        "Import a student roster (学生名册) or staff list (教师名单) from .xlsx as the system "
        "operator. The whole file is checked first; a file with errors imports nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The .xlsx file.")
        parser.add_argument("--school", required=True, help="School code.")
        parser.add_argument("--kind", required=True, choices=["students", "staff"])

    def handle(self, *args, file: str, school: str, kind: str, **options) -> None:
        target = School.objects.filter(code=school).first()
        if target is None:
            raise CommandError(_("There is no school with code %(code)s.") % {"code": school})
        if not Path(file).is_file():
            raise CommandError(_("File not found: %(file)s") % {"file": file})
        run = roster.import_staff if kind == "staff" else roster.import_students
        started = time.perf_counter()
        result = run(school=target, file=file, actor=None, progress=self._progress())
        seconds = time.perf_counter() - started
        if result.errors:
            for error in result.errors:
                where = _("row %(row)d") % {"row": error.row} if error.row else _("file")
                self.stderr.write(f"{where}\t{error.column or '-'}\t{error.message}")
            raise CommandError(
                _("%(count)d problems found; nothing was imported.")
                % {"count": len(result.errors)},
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(created)d new, %(updated)d updated, %(unchanged)d unchanged (%(seconds).1f s)."
                )
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "seconds": seconds,
                }
            )
        )

    def _progress(self) -> roster.Progress:
        """A callback that prints a line each time a phase passes another 10%."""
        printed: dict[str, int] = {}

        def progress(done: int, total: int, phase: str) -> None:
            percent = 100 if total <= 0 else min(100, done * 100 // total)
            step = percent // 10
            if printed.get(phase, -1) >= step:
                return
            printed[phase] = step
            label = str(PHASES.get(phase, phase))
            self.stdout.write(f"{label} {percent}% ({done}/{total})")

        return progress
