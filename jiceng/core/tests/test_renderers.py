"""The fast form renderer writes exactly what Django's widget templates write."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from hypothesis import given, settings
from hypothesis import strategies as st

from jiceng.core import renderers
from jiceng.core.forms import DateInput

TEXT = st.text(alphabet=st.sampled_from(list("ab<>&\"' 中文\n")), max_size=6)


class Everything(forms.Form):
    text = forms.CharField(max_length=20, required=False)
    number = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"min": 0, "step": 1}))
    email = forms.EmailField(required=False)
    url = forms.URLField(required=False, assume_scheme="https")
    password = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    search = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"type": "search", "autofocus": True})
    )
    day = forms.DateField(required=False, widget=DateInput())
    when = forms.DateTimeField(required=False)
    time = forms.TimeField(required=False)
    flag = forms.BooleanField(required=False)
    choice = forms.ChoiceField(
        required=False,
        choices=[("", _("全部")), ("a", "甲 <b>"), ("b", mark_safe("<i>乙</i>")), (3, 3)],  # noqa: S308
    )
    grouped = forms.ChoiceField(
        required=False, choices=[("组一", [("x", "X"), ("y", "Y")]), ("z", "Z"), ("组二", [("w", "W")])]
    )
    many = forms.MultipleChoiceField(required=False, choices=[("a", "A"), ("b", "B"), ("c", "C")])
    yesno = forms.NullBooleanField(required=False)
    area = forms.CharField(required=False, widget=forms.Textarea)
    radio = forms.ChoiceField(required=False, choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


DATA = {
    "text": 'x"<y>&z',
    "number": "12",
    "email": "a@b.cn",
    "url": "http://x/?a=1&b=2",
    "password": "p<w>",
    "hidden": "h",
    "search": "张",
    "day": "2026-01-02",
    "when": "2026-01-02 03:04",
    "time": "05:06",
    "flag": "on",
    "choice": "b",
    "grouped": "y",
    "many": ["a", "c"],
    "yesno": "true",
    "area": "line\n<two>",
    "radio": "b",
}


def both(widget: forms.Widget, name: str, value: object, attrs: dict | None = None) -> tuple[str, str]:
    fast = widget.render(name, value, attrs=attrs, renderer=renderers.FastRenderer())
    slow = widget.render(name, value, attrs=attrs, renderer=DjangoTemplates())
    return str(fast), str(slow)


@pytest.mark.parametrize("data", [None, DATA, {"choice": "3", "many": []}])
def test_every_field_of_a_form_renders_as_the_templates_do(data: dict | None) -> None:
    fast_form = Everything(data, renderer=renderers.FastRenderer())
    slow_form = Everything(data, renderer=DjangoTemplates())
    for name in Everything.base_fields:
        fast, slow = str(fast_form[name]), str(slow_form[name])
        assert fast == slow, name
    assert str(fast_form) == str(slow_form)


def test_the_fast_path_is_taken_for_inputs_and_selects(monkeypatch: pytest.MonkeyPatch) -> None:
    """The templates are not read for <input> and <select> (else the renderer would save nothing)."""

    def refuse(self: object, template_name: str) -> None:
        raise AssertionError(template_name)

    monkeypatch.setattr(renderers.FastRenderer, "get_template", refuse)
    form = Everything(DATA, renderer=renderers.FastRenderer())
    for name in ("text", "number", "hidden", "day", "flag", "grouped", "many", "yesno"):
        assert str(form[name])


def test_values_the_templates_localize_go_to_the_templates() -> None:
    widget = forms.Select(choices=[(1, dt.date(2026, 1, 2)), (2, 1234567)])
    fast, slow = both(widget, "d", 1)
    assert fast == slow
    assert "2026" in fast


@settings(max_examples=60, deadline=None)
@given(
    name=TEXT.filter(bool),
    value=st.one_of(st.none(), TEXT, st.integers(-5, 5)),
    attrs=st.dictionaries(
        st.sampled_from(["class", "id", "data-x", "placeholder", "required", "disabled"]),
        st.one_of(TEXT, st.booleans(), st.integers(0, 9)),
        max_size=4,
    ),
    choices=st.lists(st.tuples(TEXT, TEXT), max_size=4),
)
def test_any_input_or_select_renders_as_the_templates_do(
    name: str, value: object, attrs: dict, choices: list
) -> None:
    for widget in (forms.TextInput(), forms.NumberInput(), forms.HiddenInput(), forms.CheckboxInput()):
        fast, slow = both(widget, name, value, attrs)
        assert fast == slow
    fast, slow = both(forms.Select(choices=choices), name, value, attrs)
    assert fast == slow
    fast, slow = both(forms.SelectMultiple(choices=choices), name, [value], attrs)
    assert fast == slow
