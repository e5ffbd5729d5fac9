"""Forms of the dues pages: every input bounded; amounts as Decimal to the fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jiceng.core.forms import DateInput  # ISO values, as <input type=date> needs

from .models import DuesUse, Hardship, Method, PaymentConsent

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal("0")}


class MonthField(forms.CharField):
    """A month as YYYY-MM (an <input type=month>), cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "pattern": r"\d{4}-\d{2}"})

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=7, **kwargs)

    def clean(self, value: Any) -> dt.date | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            day = dt.datetime.strptime(text, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("月份格式应为YYYY-MM"), code="month_invalid") from None
        if not 1921 <= day.year <= 2999:
            raise forms.ValidationError(_("月份超出范围"), code="month_out_of_range")
        return day


class BaseForm(forms.Form):
    amount = forms.DecimalField(label=_("月收入基数（元）"), max_value=Decimal("10000000"), **MONEY)
    applies_from = MonthField(label=_("起始月份（新收入首次领取的月份）"))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class PaymentForm(forms.Form):
    month = MonthField(label=_("所属月份"))
    paid_on = forms.DateField(label=_("交纳日期"), widget=DateInput())
    amount = forms.DecimalField(
        label=_("实交金额（元，留空按应交）"), required=False, max_value=Decimal("1000000"), **MONEY
    )
    method = forms.ChoiceField(label=_("交纳方式"), choices=Method.choices)
    receipt_number = forms.CharField(label=_("收据编号"), max_length=40, required=False)
    back_payment_reason = forms.CharField(
        label=_("补交原因（补交超过6个月时必填）"), max_length=200, required=False
    )


class ExtraForm(forms.Form):
    amount = forms.DecimalField(label=_("多交金额（元）"), max_value=Decimal("10000000"), **MONEY)
    paid_on = forms.DateField(label=_("交纳日期"), widget=DateInput())
    method = forms.ChoiceField(label=_("交纳方式"), choices=Method.choices)
    receipt_number = forms.CharField(label=_("收据编号"), max_length=40, required=False)


class HardshipForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Hardship.Kind.choices)
    from_month = MonthField(label=_("起始月份"))
    until_month = MonthField(label=_("截止月份"))
    reduced_amount = forms.DecimalField(
        label=_("减交后每月金额（元）"), required=False, max_value=Decimal("100000"), **MONEY
    )
    reason = forms.CharField(label=_("原因"), max_length=200)
    branch_decided_on = forms.DateField(label=_("支部决定日期"), widget=DateInput())
    committee_approved_on = forms.DateField(label=_("上级党委批准日期"), required=False, widget=DateInput())


class ApproveForm(forms.Form):
    hardship = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    committee_approved_on = forms.DateField(label=_("上级党委批准日期"), widget=DateInput())


class ConfirmForm(forms.Form):
    base = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=PaymentConsent.Kind.choices)
    decided_on = forms.DateField(label=_("支部同意日期"), widget=DateInput())
    valid_until = forms.DateField(label=_("有效期至"), required=False, widget=DateInput())
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class MarkPaidForm(forms.Form):
    month = MonthField(label=_("所属月份"))
    paid_on = forms.DateField(label=_("交纳日期"), widget=DateInput())
    method = forms.ChoiceField(label=_("交纳方式"), choices=Method.choices)
    receipt_number = forms.CharField(label=_("收据编号"), max_length=40, required=False)


class SettingForm(forms.Form):
    farmer_amount = forms.DecimalField(
        label=_("农牧渔民党员每月交纳（元，0.2至1）"),
        max_digits=4,
        decimal_places=2,
        min_value=Decimal("0.2"),
        max_value=Decimal("1"),
    )
    decided_on = forms.DateField(label=_("支部决定日期"), required=False, widget=DateInput())
    records_since = MonthField(label=_("党费记录起始月份"), required=False)


class UseForm(forms.Form):
    """A use of the retained dues, or a remittance to the next level up, as the committee decided."""

    kind = forms.ChoiceField(label=_("类型"), choices=DuesUse.Kind.choices)
    used_on = forms.DateField(label=_("日期"), widget=DateInput())
    purpose = forms.CharField(label=_("用途"), max_length=200)
    amount = forms.DecimalField(label=_("金额（元）"), max_value=Decimal("10000000"), **MONEY)
    decision = forms.CharField(label=_("批准决定（会议及日期）"), max_length=200)
