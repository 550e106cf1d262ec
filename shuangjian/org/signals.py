"""Signals of the org app for writes that bypass the ORM's per-row signals."""

from django.dispatch import Signal

# Sent after a roster import wrote pupils or staff in bulk (no post_save per row), inside its
# transaction, with `school_id`.  The indicators app marks the school's roll-ups stale on it.
roster_imported = Signal()
