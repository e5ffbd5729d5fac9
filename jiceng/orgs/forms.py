"""Forms of the organization pages. They shape input; the services judge every rule and refuse
what breaks one (their ValidationError is shown on the form by ``add_service_errors``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiceng.core import scope
from jiceng.core.forms import DateInput, add_service_errors
from jiceng.members.models import Member, Status

from . import rules
from .models import Organization, OrgKind, Post

__all__ = [
    "ElectionForm",
    "ExtensionForm",
    "GroupForm",
    "MergeForm",
    "MoveForm",
    "OrgCreateForm",
    "OrgEditForm",
    "SecretaryForm",
    "SplitForm",
    "add_service_errors",
]

_org = Organization._meta


def _today_max() -> dict[str, str]:
    return {"max": timezone.localdate().isoformat()}


def _code_field(**kwargs: Any) -> forms.CharField:
    field = _org.get_field("code").formfield(**kwargs)
    field.widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"})
    return field


def child_kinds(parent: Organization) -> list[tuple[str, str]]:
    """The kinds of organization that may be set up under ``parent`` (a branch takes none)."""
    return [
        (k.value, k.label) for k in OrgKind if rules.parent_allowed(kind=k.value, parent_kind=parent.kind)
    ]


class OrgCreateForm(forms.Form):
    code = _code_field()
    name = _org.get_field("name").formfield()
    kind = forms.ChoiceField(label=_("组织类别"))
    unit_kind = _org.get_field("unit_kind").formfield()
    founded_on = forms.DateField(label=_("成立日期"), required=False)

    def __init__(self, *args: Any, parent: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "---------"), *child_kinds(parent)]
        self.fields["unit_kind"].initial = parent.unit_kind
        self.fields["founded_on"].widget = DateInput(attrs=_today_max())
        self.fields["code"].help_text = _("全系统唯一，通常在上级组织编码后加两位数字，如 %(example)s") % {
            "example": f"{parent.code}01"
        }


class OrgEditForm(forms.Form):
    code = _code_field()
    name = _org.get_field("name").formfield()
    kind = forms.ChoiceField(label=_("组织类别"), choices=OrgKind.choices)
    unit_kind = _org.get_field("unit_kind").formfield()
    founded_on = forms.DateField(label=_("成立日期"), required=False)
    records_since = forms.DateField(
        label=_("记录起始日期"),
        required=False,  # blank: unchanged (it always has a value)
        help_text=_("本系统自该日起保存本组织的记录；此前的时段在体检中显示为“无记录”，不判为问题"),
    )

    def __init__(self, *args: Any, org: Organization, can_change_kind: bool, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                f: getattr(org, f)
                for f in ("code", "name", "kind", "unit_kind", "founded_on", "records_since")
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["founded_on"].widget = DateInput(attrs=_today_max())
        self.fields["records_since"].widget = DateInput(
            attrs={"min": rules.EARLIEST_RECORDS.isoformat(), **_today_max()}
        )
        if not can_change_kind:
            # Changing the kind reshapes the tree: only those who manage it (organization admins).
            del self.fields["kind"]

    def changes(self) -> dict[str, Any]:
        changes = dict(self.cleaned_data)
        if changes.get("records_since") is None:
            changes.pop("records_since", None)
        return changes


class _OrgByCodeField(forms.CharField):
    """An organization chosen by its code among ``queryset``; any other code (even one that exists
    outside the user's scope) gets the same answer, so nothing is disclosed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)
        self.queryset: QuerySet[Organization] = Organization.objects.none()
        self.widget.attrs.update({"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"})

    def clean(self, value: Any) -> Organization:
        code = super().clean(value).strip()
        org = self.queryset.filter(code=code).first()
        if org is None:
            raise ValidationError(
                _("在您可以管理的党组织中没有编码为“%(code)s”的组织"),
                code="unknown_org",
                params={"code": code},
            )
        return org


def managed_orgs(user: Any) -> QuerySet[Organization]:
    return Organization.objects.restrict(user, scope.MANAGE)


class MoveForm(forms.Form):
    parent = _OrgByCodeField(
        label=_("新的上级党组织编码"), help_text=_("输入编码，或从列表中选择您可以管理的党组织")
    )

    def __init__(self, *args: Any, user: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = managed_orgs(user)
        self.fields["parent"].widget.attrs["list"] = "move-parent-options"
        # Suggest only parents that can take this kind and would not make a cycle; the service
        # refuses the others with its own message when typed by hand.
        self.suggestions = (
            managed_orgs(user)
            .exclude(path__prefix=org.path)
            .exclude(kind=OrgKind.BRANCH)
            .filter(kind__in=rules.ALLOWED_PARENT_KINDS[org.kind])
            .exclude(path=org.path[: -Organization.steplen])
            .only("code", "name")[:300]
        )
        self.datalist_id = "move-parent-options"


class MergeForm(forms.Form):
    target = _OrgByCodeField(
        label=_("并入的党支部编码"), help_text=_("本支部的党员将全部转入该支部，本支部随后撤销")
    )
    on = forms.DateField(label=_("合并日期"), required=False, help_text=_("留空为今天"))

    def __init__(self, *args: Any, user: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = managed_orgs(user)
        self.fields["target"].widget.attrs["list"] = "merge-target-options"
        self.fields["on"].widget = DateInput(attrs=_today_max())
        self.suggestions = (
            managed_orgs(user).filter(kind=OrgKind.BRANCH).exclude(pk=org.pk).only("code", "name")[:300]
        )
        self.datalist_id = "merge-target-options"


class _MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return obj.name


class _MembersChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return f"{obj.name}（{obj.get_status_display()}）"


def branch_members(org: Organization) -> QuerySet[Member]:
    return Member.objects.filter(org=org, closed_on__isnull=True).order_by("name_pinyin", "id")


class SplitForm(forms.Form):
    members = _MembersChoice(
        label=_("转入新支部的党员"),
        queryset=Member.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少选择一名党员")},
    )
    code = _code_field(label=_("新支部组织编码"))
    name = _org.get_field("name").formfield(label=_("新支部名称"))
    unit_kind = _org.get_field("unit_kind").formfield(required=False, help_text=_("留空则与原支部相同"))
    on = forms.DateField(label=_("拆分日期"), required=False, help_text=_("留空为今天"))

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = branch_members(org)
        self.fields["on"].widget = DateInput(attrs=_today_max())
        self.order_fields(["code", "name", "unit_kind", "on", "members"])


ELECTED_POSTS = [
    Post.SECRETARY,
    Post.DEPUTY_SECRETARY,
    Post.ORGANIZATION_MEMBER,
    Post.PUBLICITY_MEMBER,
    Post.DISCIPLINE_MEMBER,
]


class ElectionForm(forms.Form):
    """换届选举: the day, the term, and who holds each post. Only full members may hold a post.

    For a 党工委 (appointed by the higher committee, without a term) it is the appointment form:
    任命日期 and the posts, no term (``appointed``)."""

    elected_on = forms.DateField(label=_("选举日期"))
    term_years = forms.TypedChoiceField(
        label=_("任期（年）"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("按规定")), (3, _("3年")), (5, _("5年"))],
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["elected_on"].widget = DateInput(attrs=_today_max())
        self.appointed = rules.is_appointed(org.kind)
        if self.appointed:
            self.fields["elected_on"].label = _("任命日期")
            del self.fields["term_years"]
        else:
            from jiceng.core.rulebook import RuleBook

            params = RuleBook().on("org.committee_term_expired", timezone.localdate()).values
            default = rules.default_term_years(kind=org.kind, unit_kind=org.unit_kind, params=params)
            self.fields["term_years"].help_text = _("留空按规定为%(years)s年") % {"years": default}
        eligible = branch_members(org).filter(status=Status.FULL)
        for post in ELECTED_POSTS:
            self.fields[post.value] = _MemberChoice(
                label=post.label, queryset=eligible, required=False, empty_label=_("（空缺）")
            )
        self.fields[Post.MEMBER.value] = forms.ModelMultipleChoiceField(
            label=_("其他委员"),
            queryset=eligible,
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )
        self.no_eligible = not eligible.exists()

    def posts(self) -> list[tuple[Member, str]]:
        chosen: list[tuple[Member, str]] = []
        for post in ELECTED_POSTS:
            member = self.cleaned_data.get(post.value)
            if member is not None:
                chosen.append((member, post.value))
        for member in self.cleaned_data.get(Post.MEMBER.value) or ():
            chosen.append((member, Post.MEMBER.value))
        return chosen


class ExtensionForm(forms.Form):
    extended_to = forms.DateField(label=_("经批准延期（或提前）至"))
    extension_approval = forms.CharField(
        label=_("批准文件"), max_length=200, help_text=_("上级党委的批复文号或文件名称")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["extended_to"].widget = DateInput()


class GroupForm(forms.Form):
    name = forms.CharField(label=_("党小组名称"), max_length=100)


class SecretaryForm(forms.Form):
    """书记 of a branch without a committee: one of its active full members, and since when."""

    member = _MemberChoice(
        label=_("书记"), queryset=Member.objects.none(), required=False, empty_label=_("（空缺）")
    )
    since = forms.DateField(label=_("任职日期"), required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"member": org.secretary_id, "since": org.secretary_since})
        super().__init__(*args, **kwargs)
        eligible = branch_members(org).filter(status=Status.FULL)
        self.fields["member"].queryset = eligible
        self.fields["member"].help_text = _("选择“（空缺）”并保存即清除书记")
        self.fields["since"].widget = DateInput(attrs=_today_max())
        self.no_eligible = not eligible.exists()


class BranchChoiceForm(forms.Form):
    """The first step of a write into a branch (orgs.views.BranchFormView): which branch, among
    those the user may change."""

    org = forms.ModelChoiceField(
        label=_("党支部"), queryset=Organization.objects.none(), to_field_name="code", empty_label=None
    )

    def __init__(
        self, *args: Any, branches: QuerySet[Organization], label: Any = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].queryset = branches
        self.fields["org"].label_from_instance = branch_label
        if label:
            self.fields["org"].label = label


def branch_label(org: Organization) -> str:
    return str(_("%(name)s（%(code)s）") % {"name": org.name, "code": org.code})
