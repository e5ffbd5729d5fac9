"""The form renderer (``FORM_RENDERER``): Django's, with the commonest widgets written in Python.

Django renders every widget through its template engine, and a ``<select>`` includes one template per
option: a filter form of a list page spent about a quarter of the page's CPU there (docs/scale.md,
"Under load"). ``FastRenderer`` writes ``<input>``, ``<select>`` and ``<option>`` itself, producing
exactly what Django's templates ``django/forms/widgets/{input,select,select_option}.html`` (and those
that only include ``input.html``) produce; anything else, or any value the templates would localize
(a label or value that is not text), goes to the templates as before.
``core/tests/test_renderers.py`` compares the two outputs over every kind of widget jiceng uses.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe

_W = "django/forms/widgets/"
# Templates whose whole content is {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = frozenset(
    _W + name
    for name in (
        "input.html",
        "text.html",
        "number.html",
        "email.html",
        "url.html",
        "password.html",
        "hidden.html",
        "search.html",
        "date.html",
        "datetime.html",
        "time.html",
        "tel.html",
        "color.html",
        "checkbox.html",
    )
)
SELECT = _W + "select.html"
OPTION = _W + "select_option.html"


class _Slow(Exception):
    """A value the template would treat otherwise (localize): render through the template."""


def _text(value: Any) -> str:
    """``{{ value }}`` for text only (other values are localized by the template engine)."""
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        raise _Slow
    return conditional_escape(value)


def _stringformat(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` (the filter keeps a safe string safe)."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 (the filter's own formatting)
    except (ValueError, TypeError):
        return ""
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(" " + _text(name))
        if value is not True:
            out.append('="' + _stringformat(value) + '"')
    return "".join(out)


def _input(w: dict[str, Any]) -> str:
    value = "" if w["value"] is None else ' value="' + _stringformat(w["value"]) + '"'
    return f'<input type="{_text(w["type"])}" name="{_text(w["name"])}"{value}{_attrs(w["attrs"])}>'


def _option(w: dict[str, Any]) -> str:
    if w.get("template_name") != OPTION:
        raise _Slow
    return f'<option value="{_stringformat(w["value"])}"{_attrs(w["attrs"])}>{_text(w["label"])}</option>\n'


def _select(w: dict[str, Any]) -> str:
    parts = [f'<select name="{_text(w["name"])}"{_attrs(w["attrs"])}>']
    for group_name, group_choices, _index in w["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            parts.append("\n  " + _option(option))
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class FastRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict) and (template_name in INPUT_TEMPLATES or template_name == SELECT):
            try:
                html = _select(widget) if template_name == SELECT else _input(widget)
            except _Slow:
                pass
            else:
                return mark_safe(html.strip())  # noqa: S308 (every value escaped above)
        return super().render(template_name, context, request=request)
