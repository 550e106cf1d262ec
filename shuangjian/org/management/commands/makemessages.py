"""makemessages without msgmerge's fuzzy guesses: a new string starts untranslated, so
check_translations catches it instead of shipping a near-miss translation."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
