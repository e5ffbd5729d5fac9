"""A member's own organizational life on their home page (我的) and in
``/api/v1/me/sections/life.attendance/``: the meetings whose roll call named them, with the day, the
kind and whether they attended, were on leave or absent. Only the signed-in user's own attendance is
read (never the roll call of others, the minutes or the votes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from jiceng.members.selectors import own_member

from .models import Attendance, Presence

SHOWN = 24  # the latest meetings listed; the counts cover every recorded one


def _rows(user: Any) -> tuple[Any, list[Attendance], Counter[str]] | None:
    member = own_member(user)
    if member is None:
        return None
    rows = Attendance.objects.filter(member=member).select_related("meeting", "meeting__group")
    counts = Counter(rows.values_list("presence", flat=True))
    latest = list(rows.order_by("-meeting__held_on", "-meeting_id")[:SHOWN])
    return member, latest, counts


def attendance_context(user: Any) -> Mapping[str, Any] | None:
    found = _rows(user)
    if found is None:
        return None
    _member, latest, counts = found
    return {
        "attendance": latest,
        "present_count": counts[Presence.PRESENT],
        "leave_count": counts[Presence.LEAVE],
        "absent_count": counts[Presence.ABSENT],
        "total_count": sum(counts.values()),
        "shown": SHOWN,
    }


def attendance_data(user: Any) -> Mapping[str, Any] | None:
    found = _rows(user)
    if found is None:
        return None
    _member, latest, counts = found
    return {
        "counts": {p.value: counts[p.value] for p in Presence},
        "meetings": [
            {
                "held_on": a.meeting.held_on.isoformat(),
                "kind": a.meeting.kind,
                "kind_label": a.meeting.get_kind_display(),
                "topic": a.meeting.topic,
                "presence": a.presence,
                "presence_label": a.get_presence_display(),
            }
            for a in latest
        ],
    }
