"""``makemessages`` with a catalogue that merges well: entries sorted by msgid, no source locations.

Several people add strings at once; with locations every extraction rewrites hundreds of ``#:`` lines
and entries move with the code, so two branches' catalogues conflict everywhere. Sorted by msgid and
without locations, an added string is one added entry at a stable place.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--sort-output", "--no-location"]
    msguniq_options = [*makemessages.Command.msguniq_options, "--sort-output", "--no-location"]
    msgattrib_options = [*makemessages.Command.msgattrib_options, "--sort-output", "--no-location"]
    xgettext_options = [*makemessages.Command.xgettext_options, "--sort-output"]
