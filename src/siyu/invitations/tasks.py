"""Invitation jobs: the demo tenant's invitation (its broadcast is sent and synced by the
broadcast jobs)."""

from __future__ import annotations

from siyu.invitations import demo as _demo  # noqa: F401 - registers the demo job
