"""Forms of assessment: they shape input; the services judge it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jiceng.life.forms import DateInput
from jiceng.orgs.models import OrgKind

from . import definition
from .models import GradeMethod, NoData


def grades_to_text(grading: dict[str, Any]) -> str:
    key = "quota" if grading.get("method") == "quota" else "min"
    return "\n".join(f"{g['label']} | {g[key]}" for g in grading.get("grades", []))


def grades_from_text(method: str, text: str) -> dict[str, Any]:
    key = "quota" if method == "quota" else "min"
    grades = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        label, sep, value = line.replace("｜", "|").partition("|")
        if not sep:
            raise ValidationError(
                {"grades": [_("第%(n)d行：应写作“等次名称 | 比例或分数线”") % {"n": number}]}
            )
        grades.append({"label": label.strip(), key: value.strip().rstrip("%％")})
    return {"method": method, "grades": grades}


class SchemeForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("制定组织"), queryset=None, to_field_name="code")
    name = forms.CharField(label=_("方案名称"), max_length=100)
    year = forms.IntegerField(label=_("考核年度"), min_value=2000, max_value=2100)
    org_kind = forms.ChoiceField(label=_("考核对象"), choices=OrgKind.choices, initial=OrgKind.BRANCH)
    tree = forms.CharField(
        label=_("指标体系"),
        max_length=definition.TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 14, "class": "font-monospace", "spellcheck": "false"}),
        help_text=_(
            "每行一项：名称 | 权重 | 计算指标代码或“评议” | 参数（可省略）；下级指标缩进2个空格，"
            "其权重之和须等于上级权重，一级指标之和须等于总分。省略第三项即为分组。"
        ),
    )
    total = forms.DecimalField(label=_("总分"), min_value=1, max_value=1000, decimal_places=2, initial=100)
    method = forms.ChoiceField(label=_("评定方式"), choices=GradeMethod.choices, initial=GradeMethod.QUOTA)
    grades = forms.CharField(
        label=_("等次"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="五星 | 10\n四星 | 40\n三星 | 30",
        help_text=_("每行一个等次，由高到低：名称 | 比例（%，按比例评定）或分数线（按分数线评定）"),
    )
    rank_siblings = forms.BooleanField(label=_("在同级组织中排名"), required=False)
    no_data = forms.ChoiceField(label=_("暂无数据的指标"), choices=NoData.choices, initial=NoData.RESCALE)

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda o: f"{o.name}（{o.code}）"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if "tree" in data and "total" in data:
            try:
                data["tree_json"] = definition.parse_text(data["tree"], total=data["total"])
            except ValidationError as e:
                for message in e.message_dict["definition"]:
                    self.add_error("tree", message)
        if "grades" in data and "method" in data:
            try:
                data["grading"] = grades_from_text(data["method"], data["grades"])
            except ValidationError as e:
                self.add_error("grades", e.message_dict["grades"])
        return data


class RunForm(forms.Form):
    as_of = forms.DateField(label=_("数据截至"), widget=DateInput(), required=False)


class PanelForm(forms.Form):
    org = forms.ChoiceField(label=_("党组织"))
    node_key = forms.ChoiceField(label=_("评议指标"))
    points = forms.DecimalField(label=_("得分"), min_value=0, max_value=1000, decimal_places=2)
    justification = forms.CharField(
        label=_("评分理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), min_length=4
    )

    def __init__(self, *args: Any, orgs: Any, nodes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = [(o.code, f"{o.name}（{o.code}）") for o in orgs]
        self.fields["node_key"].choices = nodes


class ReviewRoundForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("组织单位"), queryset=None, to_field_name="code")
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    org_kind = forms.ChoiceField(label=_("述职对象"), choices=OrgKind.choices, initial=OrgKind.BRANCH)
    grades = forms.CharField(
        label=_("评议等次"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        initial="好 | 100\n较好 | 80\n一般 | 60\n差 | 0",
        help_text=_("每行一个等次，由高到低：名称 | 分值（0至100，综合得分据此折算）"),
    )
    committee_weight = forms.IntegerField(
        label=_("上级党组织评议权重（%）"), min_value=0, max_value=100, initial=60
    )

    def __init__(self, *args: Any, owners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda o: f"{o.name}（{o.code}）"

    def clean_grades(self) -> list[dict[str, Any]]:
        out = []
        for number, line in enumerate(self.cleaned_data["grades"].splitlines(), start=1):
            if not line.strip():
                continue
            label, sep, points = line.replace("｜", "|").partition("|")
            if not sep:
                raise ValidationError(_("第%(n)d行：应写作“等次 | 分值”") % {"n": number})
            out.append({"label": label.strip(), "points": points.strip()})
        return out


class ReportForm(forms.Form):
    text = forms.CharField(
        label=_("述职报告"), max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 12})
    )


class EvaluationForm(forms.Form):
    grade = forms.ChoiceField(label=_("评议等次"), widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("意见"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, grades: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grade"].choices = [(g["label"], g["label"]) for g in grades]


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("上级党组织意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PaperForm(forms.Form):
    """The paper evaluation forms (纸质评议表) of members without an account: a count per grade."""

    def __init__(
        self, *args: Any, grades: list[dict[str, Any]], counts: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for i, g in enumerate(grades):
            self.fields[f"g{i}"] = forms.IntegerField(
                label=_("“%(grade)s”票数") % {"grade": g["label"]},
                min_value=0,
                max_value=100_000,
                required=False,
                initial=counts.get(g["label"], 0),
            )
        self.grades = [g["label"] for g in grades]

    def counts(self) -> dict[str, int]:
        return {g: self.cleaned_data.get(f"g{i}") or 0 for i, g in enumerate(self.grades)}
