"""Forms for the roster pages. They collect and shape input; every rule is judged by the services."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jiceng.core import idnumber
from jiceng.core.forms import DateInput, add_service_errors
from jiceng.orgs.models import Organization, PartyGroup

from . import rules, services
from .models import Member

FIELDS = list(services.EDITABLE)
# Party discipline (处分): most registrations have none, so the form keeps these in a collapsed section.
DISCIPLINE_FIELDS = ("party_probation_from", "party_probation_until")


class MemberForm(forms.ModelForm):
    """The record of one member. The identity number is a separate field because the model only
    stores it encrypted; on edit a blank value means "unchanged"."""

    id_number = forms.CharField(
        label=_("公民身份号码"),
        max_length=22,  # 18 characters, with room for spaces typed or pasted; the service normalizes them
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )

    class Meta:
        model = Member
        fields = ["id_number", *FIELDS]
        widgets = {
            "birth_date": DateInput(),
            "joined_on": DateInput(),
            "full_member_on": DateInput(),
            "party_probation_from": DateInput(),
            "party_probation_until": DateInput(),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def __init__(
        self,
        *args: Any,
        branch: Organization | None,
        editing: bool = False,
        derived: bool = False,
        **kwargs: Any,
    ) -> None:
        # Validation assigns the submitted values to the instance; work on a copy so the caller's
        # member object keeps what is in the database.
        if kwargs.get("instance") is not None:
            kwargs["instance"] = copy.copy(kwargs["instance"])
        super().__init__(*args, **kwargs)
        self.order_fields(["name", "id_number", *FIELDS])
        group = self.fields["group"]
        group.queryset = PartyGroup.objects.filter(org=branch).order_by("name")
        group.empty_label = _("（不属于党小组）")
        if not group.queryset.exists():
            group.help_text = _("本支部尚未设立党小组")
        if editing:
            self.fields["id_number"].required = False
            masked = self.instance.id_number_masked
            self.fields["id_number"].help_text = _("当前为%(masked)s；留空表示不修改") % {"masked": masked}
        else:
            self.fields["birth_date"].required = False
            self.fields["birth_date"].help_text = _("留空则按公民身份号码中的出生日期填写")
            self.fields["gender"].required = False
            self.fields["gender"].help_text = _("留空则按公民身份号码第17位填写（单数为男，双数为女）")
        if derived:
            for name in ("birth_date", "gender"):
                self.fields[name].help_text = _("已按公民身份号码填写")
        # htmx: when the number is entered, the server fills 出生日期 and 性别 from it (``members:derive``).
        self.fields["id_number"].widget.attrs.update(
            {
                "hx-post": reverse("members:derive"),
                "hx-trigger": "change",
                "hx-include": "this",
                "hx-swap": "none",
            }
        )
        self.fields["full_member_on"].help_text = _("正式党员必填；预备党员留空")
        for field in self.fields.values():
            choices = getattr(field, "choices", None)
            if isinstance(field, forms.TypedChoiceField) and choices and choices[0][0] == "":
                field.choices = [("", _("请选择")), *choices[1:]]

    def clean(self) -> dict[str, Any]:
        """The same checks the service makes (members.rules), so every problem shows at once, next to its
        field, even when another field is missing. The service checks again when saving."""
        data = super().clean()
        id_number = data.get("id_number") or None
        problems = rules.check_record(
            id_number=id_number,
            gender=data.get("gender") or None,
            birth_date=data.get("birth_date") if "birth_date" not in self.errors else None,
            status=data.get("status"),
            joined_on=data.get("joined_on"),
            full_member_on=data.get("full_member_on"),
            today=timezone.localdate(),
        )
        for problem in problems:
            if problem.field in self.fields and problem.field not in self.errors:
                self.add_error(problem.field, ValidationError(problem.message, code=problem.code))
        return data

    # ---- What the template lays out ----------------------------------------------------------

    def visible_fields(self) -> list[forms.BoundField]:
        """The fields of every registration; the discipline fields are laid out apart
        (``discipline_fields``), in a collapsed 处分 section."""
        return [f for f in super().visible_fields() if f.name not in DISCIPLINE_FIELDS]

    def discipline_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DISCIPLINE_FIELDS if name in self.fields]

    def discipline_open(self) -> bool:
        """The 处分 section starts open when it holds a value or an error, so nothing entered is hidden."""
        return any(f.errors or f.value() not in (None, "") for f in self.discipline_fields())

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values in the shape ``create_member`` / ``update_member`` take."""
        return {name: self.cleaned_data.get(name) for name in FIELDS}

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error)


def derived_fields(raw: str) -> dict[str, Any]:
    """出生日期 and 性别 read from a valid identity number, or nothing when it is not valid (the form
    names the problem when saved)."""
    try:
        number = idnumber.validate(raw[:22])
    except ValidationError:
        return {}
    return {"birth_date": idnumber.birth_date_of(number), "gender": idnumber.gender_of(number)}


def branch_label(org: Organization) -> str:
    return gettext("%(name)s（%(code)s）") % {"name": org.name, "code": org.code}


class TransferForm(forms.Form):
    """组织关系转接: the receiving branch, by code, among the branches the user may change."""

    to_org = forms.ModelChoiceField(
        label=_("转入党支部"),
        queryset=Organization.objects.none(),
        to_field_name="code",
        empty_label=_("请选择党支部"),
    )
    on = forms.DateField(label=_("转接日期"), required=False, widget=DateInput(), help_text=_("留空为今天"))

    def __init__(self, *args: Any, branches: QuerySet[Organization], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_org"].queryset = branches
        self.fields["to_org"].label_from_instance = branch_label

    def add_service_errors(self, error: ValidationError) -> None:
        add_service_errors(self, error, rename={"org": "to_org"})
