"""Every write to the record of organizational life (组织生活): atomic, scoped, validated and audited.

A meeting is recorded once, by its branch, with who attended; the compliance engine reads the
records and never writes them. Problems are reported all at once as a ``ValidationError`` keyed by
field, each with a machine code and a Chinese message.

The quorum (支部条例 Art. 11, 12: more than half of the voting members present) is *not* a reason to
refuse a record: a meeting that was held is a fact. It is judged at entry and shown as a warning
(``quorum_warning``); the record keeps it (``Meeting.quorum_met``) and the engine reports it as
``life.quorum``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, concurrency, dates, scope
from jiceng.core.models import User
from jiceng.members.models import Member, Membership
from jiceng.orgs.models import Organization, OrgKind, PartyGroup

from .models import Attendance, Meeting, MeetingAttachment, MeetingKind, Presence

# Sent after the transaction commits, whenever meetings of these branches were recorded, changed,
# deleted or imported: ``org_paths`` (frozenset of branch paths), ``first_day`` and ``last_day``
# (the range of meeting dates touched). Stored compliance results listen to it to go stale.
meetings_changed = Signal()

FIELDS = (
    "kind",
    "group",
    "held_on",
    "place",
    "topic",
    "host",
    "recorder",
    "minutes",
    "expected",
    "present",
    "voted",
    "voting_members",
    "voters_present",
    "votes_yes",
    "votes_no",
    "votes_abstain",
)
VOTE_FIELDS = ("voting_members", "voters_present", "votes_yes", "votes_no", "votes_abstain")

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 20
# What a file's first bytes must be for each accepted type, and the names it may carry.
FILE_TYPES: dict[str, tuple[bytes, tuple[str, ...], str]] = {
    "application/pdf": (b"%PDF-", (".pdf",), ".pdf"),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg"), ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",), ".png"),
}
QUORUM_CITATION = "中国共产党支部工作条例（试行）第十一条、第十二条"


def _today() -> dt.date:
    return timezone.localdate()


class _Problems:
    """Collects every problem, so a form shows them all at once."""

    def __init__(self) -> None:
        self.by_field: dict[str, list[ValidationError]] = {}

    def add(self, field: str, message: str, code: str) -> None:
        self.by_field.setdefault(field, []).append(ValidationError(message, code=code))

    def __contains__(self, field: str) -> bool:
        return field in self.by_field

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


# ---- Reads the services need ------------------------------------------------------------------


def eligible_members(
    org: Organization, *, group: PartyGroup | None = None, held_on: dt.date | None = None
) -> set[int]:
    """Ids of the members whose attendance may be recorded for a meeting of ``org`` (or of ``group``).

    The branch's current members, and, for a meeting in the past, those whose membership record shows
    them in the branch on that day (they may have transferred out since). A group meeting takes the
    group's members only.
    """
    current = Member.objects.filter(org=org, closed_on__isnull=True)
    if group is not None:
        return set(current.filter(group=group).values_list("pk", flat=True))
    ids = set(current.values_list("pk", flat=True))
    if held_on is not None:
        ids |= set(
            Membership.objects.filter(org=org, started_on__lte=held_on)
            .exclude(ended_on__lt=held_on)
            .values_list("member_id", flat=True)
        )
    return ids


def outside_message(count: int, names: Sequence[str] = (), *, group: PartyGroup | None = None) -> str:
    """Members on an attendance list who may not be on it; only names the actor may see are given."""
    where = _("本党小组") if group is not None else _("本党支部")
    message = _("出席名单中有%(count)s人不是%(where)s的党员") % {"count": count, "where": where}
    if names:
        message += _("：%(names)s") % {"names": "、".join(names)}
    return message


def member_elsewhere_message(field: str) -> str:
    label = _("主持人") if field == "host" else _("记录人")
    return _("%(label)s须是本党支部的党员") % {"label": label}


def quorum_warning(meeting: Meeting) -> str | None:
    """The warning shown when a meeting that voted had no more than half of its voting members present."""
    if meeting.quorum_met is not False:
        return None
    return _(
        "到会有表决权的党员%(present)s人，未超过应到会有表决权党员%(members)s人的半数，"
        "会议不符合法定人数要求（%(citation)s），所作表决无效。记录已保存。"
    ) % {
        "present": meeting.voters_present or 0,
        "members": meeting.voting_members,
        "citation": QUORUM_CITATION,
    }


# ---- Validation -----------------------------------------------------------------------------


def _check_meeting(
    meeting: Meeting,
    *,
    actor: User,
    attendance: Mapping[Member, str] | None,
    recorded_before: set[int],
    problems: _Problems,
) -> None:
    """Every rule about one meeting's values; ``recorded_before`` are members already on its list."""
    org = meeting.org
    if org.kind != OrgKind.BRANCH:
        problems.add("org", _("组织生活记录只能由党支部录入"), "not_branch")
        return
    if meeting.kind not in MeetingKind.values:
        problems.add("kind", _("请选择会议类型"), "invalid_kind")
    if meeting.kind == MeetingKind.GROUP_MEETING:
        if meeting.group is None:
            if meeting.source != Meeting.Source.IMPORTED:
                problems.add("group", _("党小组会须注明是哪个党小组召开的"), "group_required")
        elif meeting.group.org_id != org.pk:
            problems.add("group", _("该党小组不属于本党支部"), "group_elsewhere")
    elif meeting.group_id is not None:
        problems.add("group", _("只有党小组会才注明党小组"), "group_not_allowed")
    if meeting.held_on is None:
        problems.add("held_on", _("请填写会议日期"), "required")
    elif meeting.held_on > _today():
        problems.add("held_on", _("会议日期不能晚于今天：只能记录已经召开的会议"), "date_in_future")
    elif early := dates.date_problem(meeting.held_on, label=_("会议日期"), not_before=[dates.founded()]):
        problems.add("held_on", early.messages[0], "date_too_early")
    if not (meeting.topic or "").strip():
        problems.add("topic", _("请填写会议主题"), "required")
    elif len(meeting.topic) > 300:
        problems.add("topic", _("会议主题不能超过300个字"), "too_long")
    if len(meeting.place or "") > 200:
        problems.add("place", _("会议地点不能超过200个字"), "too_long")

    group = meeting.group if meeting.kind == MeetingKind.GROUP_MEETING else None
    allowed = eligible_members(org, group=group, held_on=meeting.held_on) | recorded_before
    if attendance is not None:
        bad_presence = [p for p in attendance.values() if p not in Presence.values]
        if bad_presence:
            problems.add("attendance", _("出席情况只能是出席、请假或缺席"), "invalid_presence")
        outside = [m for m in attendance if m.pk not in allowed]
        if outside:
            # Name only the people the actor may see: an error never discloses a record out of scope.
            names = [m.name for m in outside if scope.can(actor, scope.VIEW, m.org_path)]
            problems.add(
                "attendance", outside_message(len(outside), names, group=group), "attendance_outside"
            )
    branch_members = allowed | eligible_members(org, held_on=meeting.held_on)
    for field in ("host", "recorder"):
        person = getattr(meeting, field)
        if person is not None and person.pk not in branch_members:
            problems.add(field, member_elsewhere_message(field), "member_elsewhere")

    if meeting.present > meeting.expected:
        problems.add(
            "present",
            _("实到人数（%(present)s）不能多于应到人数（%(expected)s）")
            % {"present": meeting.present, "expected": meeting.expected},
            "present_exceeds_expected",
        )
    _check_votes(meeting, problems)


def _check_votes(meeting: Meeting, problems: _Problems) -> None:
    if not meeting.voted:
        return
    members, present = meeting.voting_members, meeting.voters_present
    if not members:
        problems.add("voting_members", _("有表决事项时须填写有表决权的党员数"), "required")
    if present is None:
        problems.add("voters_present", _("有表决事项时须填写到会有表决权的党员数"), "required")
    if members and present is not None and present > members:
        problems.add(
            "voters_present",
            _("到会有表决权的党员数（%(present)s）不能多于有表决权的党员数（%(members)s）")
            % {"present": present, "members": members},
            "voters_exceed_members",
        )
    if present is not None and meeting.expected and present > meeting.present:
        problems.add(
            "voters_present",
            _("到会有表决权的党员数（%(voters)s）不能多于实到人数（%(present)s）")
            % {"voters": present, "present": meeting.present},
            "voters_exceed_present",
        )
    cast = sum(v or 0 for v in (meeting.votes_yes, meeting.votes_no, meeting.votes_abstain))
    if present is not None and cast > present:
        problems.add(
            "votes_yes",
            _("赞成、反对、弃权票数之和（%(cast)s）不能多于到会有表决权的党员数（%(present)s）")
            % {"cast": cast, "present": present},
            "votes_exceed_present",
        )


def _apply_attendance_counts(meeting: Meeting, presences: Iterable[str]) -> None:
    presences = list(presences)
    meeting.expected = len(presences)
    meeting.present = sum(1 for p in presences if p == Presence.PRESENT)


def _normalize_votes(meeting: Meeting) -> None:
    """Without a vote there are no vote figures (a hidden part of the form may still have sent them)."""
    if not meeting.voted:
        for field in VOTE_FIELDS:
            setattr(meeting, field, None)


# ---- Audit helpers ---------------------------------------------------------------------------


def _attendance_data(rows: Iterable[tuple[int, str]]) -> dict[str, str]:
    return {str(pk): presence for pk, presence in sorted(rows)}


def _snapshot(meeting: Meeting, attendance: dict[str, str]) -> dict[str, Any]:
    data = audit.snapshot(meeting)
    data["attendance"] = attendance
    return data


def _counts_message(meeting: Meeting) -> str:
    return _("应到%(expected)s人，实到%(present)s人") % {
        "expected": meeting.expected,
        "present": meeting.present,
    }


def _attendance_message(before: dict[str, str], after: dict[str, str]) -> str:
    labels = dict(Presence.choices)
    ids = sorted({*before, *after} - {k for k in before if before.get(k) == after.get(k)}, key=int)
    if not ids:
        return ""
    names = dict(Member.objects.filter(pk__in=[int(i) for i in ids]).values_list("pk", "name"))
    parts = []
    for i in ids:
        b = labels.get(before.get(i), "—") if before.get(i) else "—"
        a = labels.get(after.get(i), "—") if after.get(i) else "—"
        parts.append(f"{names.get(int(i), i)} {b}→{a}")
    return _("出席情况：%(changes)s") % {"changes": "；".join(str(p) for p in parts)}


def _changed(meeting: Meeting) -> None:
    paths = frozenset({meeting.org_path})
    day = meeting.held_on
    transaction.on_commit(
        lambda: meetings_changed.send(sender=Meeting, org_paths=paths, first_day=day, last_day=day)
    )


# ---- Meetings -------------------------------------------------------------------------------


@transaction.atomic
def record_meeting(
    *,
    actor: User,
    org: Organization,
    kind: str,
    held_on: dt.date,
    topic: str,
    attendance: Mapping[Member, str] | None = None,
    group: PartyGroup | None = None,
    place: str = "",
    host: Member | None = None,
    recorder: Member | None = None,
    minutes: str = "",
    expected: int | None = None,
    present: int | None = None,
    voted: bool = False,
    voting_members: int | None = None,
    voters_present: int | None = None,
    votes_yes: int | None = None,
    votes_no: int | None = None,
    votes_abstain: int | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Meeting:
    """Record one held meeting of a branch, with its attendance and attachments.

    With ``attendance`` (member → present/leave/absent), the head counts follow from it and
    ``expected``/``present`` are ignored; without it they are taken as given. Check
    ``quorum_warning(meeting)`` afterwards: a meeting without a quorum is saved and flagged.
    """
    scope.ensure(actor, scope.CHANGE, org.path)
    meeting = Meeting(
        org=org,
        org_path=org.path,
        kind=kind,
        group=group,
        held_on=held_on,
        place=(place or "").strip(),
        topic=(topic or "").strip(),
        host=host,
        recorder=recorder,
        minutes=minutes or "",
        expected=expected or 0,
        present=present or 0,
        voted=bool(voted),
        voting_members=voting_members,
        voters_present=voters_present,
        votes_yes=votes_yes,
        votes_no=votes_no,
        votes_abstain=votes_abstain,
    )
    if attendance:
        _apply_attendance_counts(meeting, attendance.values())
    _normalize_votes(meeting)
    problems = _Problems()
    _check_meeting(meeting, actor=actor, attendance=attendance, recorded_before=set(), problems=problems)
    for upload in attachments:
        for message, code in attachment_problems(upload):
            problems.add("attachments", message, code)
    if len(attachments) > MAX_ATTACHMENTS:
        problems.add(
            "attachments", _("每次会议最多上传%(n)s个附件") % {"n": MAX_ATTACHMENTS}, "too_many_files"
        )
    problems.raise_if_any()
    meeting.full_clean(exclude=["org_path"])
    meeting.save()
    rows = [Attendance(meeting=meeting, member=m, presence=p) for m, p in (attendance or {}).items()]
    Attendance.objects.bulk_create(rows)
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=meeting,
        after=_snapshot(meeting, _attendance_data((r.member.pk, r.presence) for r in rows)),
        message=_counts_message(meeting),
    )
    _store_all(actor=actor, meeting=meeting, uploads=attachments)
    _changed(meeting)
    return meeting


@transaction.atomic
def update_meeting(
    *,
    actor: User,
    meeting: Meeting,
    attendance: Mapping[Member, str] | None = None,
    version: object = None,
    **changes: Any,
) -> Meeting:
    """Change a recorded meeting. ``attendance``, when given, replaces the whole list.

    The branch of a meeting never changes. Members already on the list stay allowed on it after
    they leave the branch, as long as the meeting's kind and group stay the same.
    """
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("org", "group").get(pk=meeting.pk)
    )
    scope.ensure(actor, scope.CHANGE, meeting.org_path)
    concurrency.ensure_current(meeting, version)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown meeting fields {sorted(unknown)}")
    old_rows = {a.member_id: a for a in meeting.attendance.all()}
    before = _snapshot(meeting, _attendance_data((pk, a.presence) for pk, a in old_rows.items()))
    old_day, same_list = meeting.held_on, True
    for field, value in changes.items():
        if field in ("place", "topic") and value is not None:
            value = value.strip()
        if field in ("place", "topic", "minutes") and value is None:
            value = ""
        setattr(meeting, field, value)
    if "kind" in changes and meeting.kind != MeetingKind.GROUP_MEETING and "group" not in changes:
        meeting.group = None
    if meeting.kind != before["kind"] or meeting.group_id != before["group"]:
        same_list = False
    recorded_before = set(old_rows) if same_list else set()
    if attendance:
        _apply_attendance_counts(meeting, attendance.values())
    elif attendance is None and old_rows:
        _apply_attendance_counts(meeting, (a.presence for a in old_rows.values()))
    _normalize_votes(meeting)
    problems = _Problems()
    check_list: Mapping[Member, str] | None = attendance
    if attendance is None and not same_list and old_rows:
        # The kind or group changed: the list already recorded must suit the new one.
        check_list = {a.member: a.presence for a in meeting.attendance.select_related("member")}
    _check_meeting(
        meeting, actor=actor, attendance=check_list, recorded_before=recorded_before, problems=problems
    )
    problems.raise_if_any()
    meeting.full_clean(exclude=["org_path"])
    meeting.save()
    after_data = before["attendance"]
    if attendance is not None:
        new = {m.pk: p for m, p in attendance.items()}
        meeting.attendance.exclude(member_id__in=new).delete()
        changed_rows = []
        for pk, presence in new.items():
            row = old_rows.get(pk)
            if row is None:
                changed_rows.append(Attendance(meeting=meeting, member_id=pk, presence=presence))
            elif row.presence != presence:
                row.presence = presence
                row.save(update_fields=["presence"])
        Attendance.objects.bulk_create(changed_rows)
        after_data = _attendance_data(new.items())
    after = _snapshot(meeting, after_data)
    changed = [k for k in after if k not in ("updated_at", "created_at") and before.get(k) != after.get(k)]
    if changed:
        message = _attendance_message(before["attendance"], after["attendance"])
        if "expected" in changed or "present" in changed:
            message = "；".join(x for x in (_counts_message(meeting), message) if x)
        audit.record(
            actor=actor,
            action=audit.Action.UPDATE,
            obj=meeting,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
            message=message,
        )
    _changed(meeting)
    if old_day != meeting.held_on:
        paths = frozenset({meeting.org_path})
        transaction.on_commit(
            lambda: meetings_changed.send(
                sender=Meeting, org_paths=paths, first_day=old_day, last_day=old_day
            )
        )
    return meeting


@transaction.atomic
def delete_meeting(*, actor: User, meeting: Meeting) -> None:
    """Delete a meeting recorded in error, with its attendance and attachment files."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    scope.ensure(actor, scope.CHANGE, meeting.org_path)
    rows = meeting.attendance.values_list("member_id", "presence")
    before = _snapshot(meeting, _attendance_data(rows))
    before["attachments"] = list(meeting.attachments.values_list("original_name", flat=True))
    files = [a.file.name for a in meeting.attachments.all()]
    audit.record(actor=actor, action=audit.Action.DELETE, obj=meeting, before=before)
    _changed(meeting)
    meeting.delete()
    transaction.on_commit(lambda: _delete_files(files))


# ---- Attachments ----------------------------------------------------------------------------


def detect_type(head: bytes) -> str | None:
    """The content type the file's first bytes show, among the accepted ones."""
    for content_type, (magic, _names, _ext) in FILE_TYPES.items():
        if head.startswith(magic):
            return content_type
    return None


def _read_head(upload: UploadedFile, n: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(n)
    upload.seek(0)
    return head


def attachment_problems(upload: UploadedFile) -> list[tuple[str, str]]:
    """(message, code) for each problem with an upload: size, and type by content *and* name."""
    name = upload.name or ""
    problems: list[tuple[str, str]] = []
    size = upload.size or 0
    if size == 0:
        problems.append((_("文件“%(name)s”是空文件") % {"name": name}, "empty_file"))
        return problems
    if size > MAX_ATTACHMENT_BYTES:
        problems.append(
            (
                _("文件“%(name)s”超过10 MB（%(size).1f MB）") % {"name": name, "size": size / 1024 / 1024},
                "file_too_large",
            )
        )
    detected = detect_type(_read_head(upload))
    suffix = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if detected is None:
        problems.append(
            (_("文件“%(name)s”的内容不是PDF、JPEG或PNG格式，不能上传") % {"name": name}, "file_type")
        )
    elif suffix not in FILE_TYPES[detected][1]:
        problems.append(
            (
                _("文件“%(name)s”的扩展名与其内容（%(type)s）不符") % {"name": name, "type": detected},
                "file_name_mismatch",
            )
        )
    return problems


def _store_attachment(*, actor: User, meeting: Meeting, upload: UploadedFile) -> MeetingAttachment:
    """Write the file under a name of our own (the uploader's name is only shown, never a path)."""
    content_type = detect_type(_read_head(upload)) or "application/octet-stream"
    original = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    attachment = MeetingAttachment(
        meeting=meeting, original_name=original, content_type=content_type, size=upload.size or 0
    )
    upload.seek(0)
    attachment.file.save(uuid.uuid4().hex + FILE_TYPES[content_type][2], upload, save=False)
    try:
        attachment.save()
        audit.record(
            actor=actor,
            action=audit.Action.UPDATE,
            obj=meeting,
            after={"attachments": {"id": attachment.pk, "name": original, "size": attachment.size}},
            message=_("上传附件：%(name)s") % {"name": original},
        )
    except Exception:
        _delete_files([attachment.file.name])
        raise
    return attachment


def _store_all(*, actor: User, meeting: Meeting, uploads: Sequence[UploadedFile]) -> list[MeetingAttachment]:
    """Store several files; if one fails, those already written are removed (the rows roll back)."""
    stored: list[MeetingAttachment] = []
    try:
        for upload in uploads:
            stored.append(_store_attachment(actor=actor, meeting=meeting, upload=upload))
    except Exception:
        _delete_files([a.file.name for a in stored])
        raise
    return stored


@transaction.atomic
def add_attachment(*, actor: User, meeting: Meeting, upload: UploadedFile) -> MeetingAttachment:
    """Attach a PDF, JPEG or PNG file (at most 10 MB) to a meeting; the type is judged by content."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    scope.ensure(actor, scope.CHANGE, meeting.org_path)
    problems = _Problems()
    for message, code in attachment_problems(upload):
        problems.add("file", message, code)
    if meeting.attachments.count() >= MAX_ATTACHMENTS:
        problems.add("file", _("每次会议最多上传%(n)s个附件") % {"n": MAX_ATTACHMENTS}, "too_many_files")
    problems.raise_if_any()
    return _store_attachment(actor=actor, meeting=meeting, upload=upload)


@transaction.atomic
def remove_attachment(*, actor: User, attachment: MeetingAttachment) -> None:
    meeting = Meeting.objects.select_for_update().get(pk=attachment.meeting_id)
    scope.ensure(actor, scope.CHANGE, meeting.org_path)
    name, stored = attachment.original_name, attachment.file.name
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=meeting,
        before={"attachments": {"id": attachment.pk, "name": name, "size": attachment.size}},
        message=_("删除附件：%(name)s") % {"name": name},
    )
    attachment.delete()
    transaction.on_commit(lambda: _delete_files([stored]))


def _delete_files(names: Iterable[str]) -> None:
    from django.core.files.storage import default_storage

    for name in names:
        if name:
            default_storage.delete(name)
