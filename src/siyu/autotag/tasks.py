"""Auto-tagging's jobs: keyword rules are applied by the chat archive's pull
(:mod:`siyu.chats.tasks`); the demo tenant's rules are made by :mod:`siyu.autotag.demo`."""

from __future__ import annotations

from siyu.autotag import demo as _demo  # noqa: F401 - registers the demo job
