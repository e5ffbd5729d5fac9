"""The meeting form: one page per meeting, quick on a phone. It shapes input; the services judge it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.members.models import Member, Status
from jiceng.orgs.models import Organization, PartyGroup

from . import selectors, services
from .models import Meeting, MeetingKind, Presence

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class DateInput(forms.DateInput):
    """A native date picker: phones show their own calendar; the value is ISO (YYYY-MM-DD)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data if d]
        return [one(data, initial)] if data else []


class Count(forms.IntegerField):
    def __init__(self, label: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100000)
        super().__init__(label=label, widget=forms.NumberInput(attrs={"inputmode": "numeric"}), **kwargs)


PRESENCE_FIELD = "presence_%s"


class MeetingForm(forms.Form):
    """A meeting of ``branch``; each member of the roll call has a three-way present/leave/absent field."""

    kind = forms.ChoiceField(label=_("会议类型"), choices=[("", _("请选择")), *MeetingKind.choices])
    group = forms.ModelChoiceField(
        label=_("党小组"),
        queryset=PartyGroup.objects.none(),
        required=False,
        empty_label=_("请选择党小组"),
        help_text=_("党小组会须选择党小组；名单只列该党小组的党员"),
    )
    held_on = forms.DateField(label=_("日期"), widget=DateInput())
    topic = forms.CharField(label=_("主题"), max_length=300)
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    host = forms.ModelChoiceField(
        label=_("主持人"), queryset=Member.objects.none(), required=False, empty_label=_("（未填写）")
    )
    recorder = forms.ModelChoiceField(
        label=_("记录人"), queryset=Member.objects.none(), required=False, empty_label=_("（未填写）")
    )
    minutes = forms.CharField(label=_("会议记录"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    voted = forms.BooleanField(label=_("有表决事项"), required=False)
    voting_members = Count(_("有表决权的党员数"), help_text=_("正式党员人数（预备党员没有表决权）"))
    voters_present = Count(_("到会有表决权的党员数"))
    votes_yes = Count(_("赞成"))
    votes_no = Count(_("反对"))
    votes_abstain = Count(_("弃权"))
    attachments = MultipleFileField(
        label=_("附件"),
        required=False,
        help_text=_("会议记录扫描件或照片：PDF、JPEG或PNG格式，每个不超过10 MB"),
    )

    VOTE_FIELDS = services.VOTE_FIELDS

    def __init__(
        self,
        *args: Any,
        branch: Organization,
        roll_call: list[Member],
        meeting: Meeting | None = None,
        **kwargs: Any,
    ) -> None:
        self.branch, self.meeting, self.roll_call = branch, meeting, roll_call
        recorded: dict[int, str] = {}
        if meeting is not None:
            recorded = dict(meeting.attendance.values_list("member_id", "presence"))
            kwargs.setdefault("initial", {name: getattr(meeting, name) for name in services.FIELDS})
        self.recorded = recorded
        # A meeting kept by head counts alone (imported history) is edited by its counts: listing the
        # roll call would replace them with whoever is in the branch today.
        self.by_count = meeting is not None and not recorded
        super().__init__(*args, **kwargs)
        if self.by_count:
            self.fields["expected"] = Count(_("应到人数"), required=True)
            self.fields["present"] = Count(_("实到人数"), required=True)
            roll_call = self.roll_call = []
        today = timezone.localdate()
        self.fields["held_on"].widget.attrs["max"] = today.isoformat()
        if meeting is None:
            self.fields["held_on"].initial = today
        groups = PartyGroup.objects.filter(org=branch).order_by("name")
        self.fields["group"].queryset = groups
        self.has_groups = groups.exists()
        people = Member.objects.filter(pk__in=[m.pk for m in roll_call])
        self.fields["host"].queryset = people
        self.fields["recorder"].queryset = people
        for member in roll_call:
            self.fields[PRESENCE_FIELD % member.pk] = forms.ChoiceField(
                label=member.name,
                choices=Presence.choices,
                initial=recorded.get(member.pk, Presence.PRESENT),
                widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
            )
        if meeting is not None:
            self.fields["attachments"].label = _("添加附件")
        self.committee = selectors.committee_in_office(branch, self._day())

    def _day(self) -> dt.date:
        """The meeting day as the page stands: what was typed, else the meeting's, else today."""
        if self.is_bound:
            try:
                return self.fields["held_on"].clean(self.data.get(self.add_prefix("held_on")))
            except ValidationError:
                pass
        if self.meeting is not None:
            return self.meeting.held_on
        return self.initial.get("held_on") or timezone.localdate()

    def _kind(self) -> str:
        if self.is_bound:
            return str(self.data.get(self.add_prefix("kind")) or "")
        return str(self.initial.get("kind") or (self.meeting.kind if self.meeting is not None else ""))

    # ---- What the template lays out ----------------------------------------------------------

    def roll_call_rows(self) -> list[dict[str, Any]]:
        """Every member of the roll call, each marked whether a 支委会 lists them (the committee in
        office on the meeting day); the page hides the others while the kind is 支委会."""
        kind = self._kind()
        return [
            {
                "member": m,
                "field": self[PRESENCE_FIELD % m.pk],
                "full": m.status == Status.FULL,
                "left": m.org_id != self.branch.pk or m.closed_on is not None,
                "committee": self._on_committee(m),
                "listed": kind != MeetingKind.COMMITTEE_MEETING or self._on_committee(m),
            }
            for m in self.roll_call
        ]

    def _on_committee(self, member: Member) -> bool:
        """Listed for a 支委会: nobody known on the committee (no posts recorded) lists everyone."""
        return not self.committee or member.pk in self.committee or self._committee_recorded(member)

    def _committee_recorded(self, member: Member) -> bool:
        """Editing a 支委会 keeps whoever its record lists, in office that day or not."""
        m = self.meeting
        return m is not None and m.kind == MeetingKind.COMMITTEE_MEETING and member.pk in self.recorded

    def main_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("kind", "group", "held_on", "topic", "place", "host", "recorder")]

    def vote_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.VOTE_FIELDS]

    # ---- Cleaning ------------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") != MeetingKind.GROUP_MEETING:
            data["group"] = None
        elif not data.get("group") and "group" not in self.errors and not self._imported_without_group():
            self.add_error(
                "group", ValidationError(_("党小组会须注明是哪个党小组召开的"), code="group_required")
            )
        if not data.get("voted"):
            for name in self.VOTE_FIELDS:
                data[name] = None
                self.errors.pop(name, None)
        for upload in data.get("attachments") or []:
            for message, code in services.attachment_problems(upload):
                self.add_error("attachments", ValidationError(message, code=code))
        return data

    def _imported_without_group(self) -> bool:
        """Imported 党小组会 name no group (the history files have no such column)."""
        m = self.meeting
        return m is not None and m.source == Meeting.Source.IMPORTED and m.group_id is None

    def attendance(self) -> dict[Member, str] | None:
        """The roll call as the service takes it; a group meeting lists its group's members only, a
        支委会 the committee in office on its day."""
        if self.by_count:
            return None
        kind, held_on = self.cleaned_data.get("kind"), self.cleaned_data.get("held_on")
        if kind == MeetingKind.COMMITTEE_MEETING and held_on is not None:
            committee = selectors.committee_in_office(self.branch, held_on) or {m.pk for m in self.roll_call}
            return {
                member: presence
                for member in self.roll_call
                if member.pk in committee or self._committee_recorded(member)
                if (presence := self.cleaned_data.get(PRESENCE_FIELD % member.pk))
            }
        group = self.cleaned_data.get("group")
        same_group = self.meeting is not None and self.meeting.group_id == (group.pk if group else None)
        out: dict[Member, str] = {}
        for member in self.roll_call:
            in_group = group is None or member.group_id == group.pk
            if not in_group and not (same_group and member.pk in self.recorded):
                continue
            presence = self.cleaned_data.get(PRESENCE_FIELD % member.pk)
            if presence:
                out[member] = presence
        return out

    def service_fields(self) -> dict[str, Any]:
        names = [n for n in services.FIELDS if self.by_count or n not in ("expected", "present")]
        return {n: self.cleaned_data.get(n) for n in names}

    def add_service_errors(self, error: ValidationError) -> None:
        """Each field's errors next to it; attendance errors above the roll call; the rest on top."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            for e in errors:
                if field == "attendance":
                    self.attendance_errors.append(e.message % e.params if e.params else e.message)
                elif field in self.fields:
                    self.add_error(field, e)
                else:
                    self.add_error(None, e)

    @property
    def attendance_errors(self) -> list[str]:
        return self.__dict__.setdefault("_attendance_errors", [])


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("添加附件"),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
        help_text=_("PDF、JPEG或PNG格式，不超过10 MB"),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        for message, code in services.attachment_problems(upload):
            self.add_error("file", ValidationError(message, code=code))
        return upload
