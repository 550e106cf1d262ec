"""Fail when a user-facing string has no Simplified Chinese translation.

Refreshes the catalogue from the source (as `./dev messages` does), then lists every entry of
locale/zh_Hans that is untranslated or fuzzy.
"""

import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Check that the zh_Hans catalogue translates every user-facing string."

    def handle(self, *args, **options):
        root = Path(settings.BASE_DIR).parent
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            no_location=True,
            no_wrap=True,
            ignore_patterns=[".venv/*", "bench/*", "tests/*", "var/*"],
            verbosity=0,
        )
        po = Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"
        missing = []
        for flag in ("--untranslated", "--only-fuzzy"):
            out = subprocess.run(
                ["msgattrib", flag, "--no-obsolete", "--no-wrap", str(po)],
                capture_output=True,
                text=True,
                check=True,
                cwd=root,
            ).stdout
            missing += [
                line[7:-1]
                for line in out.splitlines()
                if line.startswith('msgid "') and line != 'msgid ""'
            ]
        if missing:
            raise CommandError(
                f"{len(missing)} strings lack a zh_Hans translation:\n  " + "\n  ".join(missing)
            )
        self.stdout.write("zh_Hans catalogue complete")
