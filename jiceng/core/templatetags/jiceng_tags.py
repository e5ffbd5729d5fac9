"""Template helpers shared by all of jiceng's pages: ``{% load jiceng_tags %}``.

- ``{{ field|bs }}`` renders a bound field's widget with Bootstrap 5's class for its kind
  (``form-control``, ``form-select``, ``form-check-input``, ...) plus ``is-invalid`` when the field has
  errors. The class is passed to this one rendering only: neither the form class nor the form instance
  is changed. An optional argument adds more classes: ``{{ field|bs:"form-control-sm" }}``.
- ``{{ field|widget_type }}`` names the kind of widget, as ``includes/form.html`` lays it out:
  ``hidden``, ``checkbox``, ``radio``, ``checkboxes``, ``select``, ``multi``, ``file``, ``range``,
  ``color``, ``textarea`` or ``input``.
- ``{% url_replace request 'page' 3 %}`` gives the current query string with ``page`` set to 3 (other
  parameters kept), without the leading ``?``: write ``href="?{% url_replace request 'page' 3 %}"``.
  Several pairs may be given; a value of ``None`` or ``""`` removes that parameter.
- ``{% elided_page_range page_obj as pages %}`` gives the page numbers to link to, with
  ``Paginator.ELLIPSIS`` for the gaps (Django's ``Paginator.get_elided_page_range``).
- ``{{ message|alert_class }}`` maps a ``django.contrib.messages`` message to Bootstrap's alert class.
- ``{{ value|startswith:prefix }}`` for marking the current navigation link.
- ``{% section item %}`` renders ``item.template`` with ``item.context`` added to the current context
  (the home page's registered sections: ``jiceng.core.registry.home_sections``).
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.contrib.messages import constants as message_constants
from django.forms.boundfield import BoundField, BoundWidget
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

register = template.Library()

_CLASS_FOR_KIND = {
    "hidden": "",
    "checkbox": "form-check-input",
    "radio": "form-check-input",
    "checkboxes": "form-check-input",
    "select": "form-select",
    "range": "form-range",
    "color": "form-control form-control-color",
}


def _widget_of(value: Any) -> forms.Widget | None:
    if isinstance(value, BoundField):
        return value.field.widget
    if isinstance(value, forms.Widget):
        return value
    return None


def _kind(widget: forms.Widget) -> str:
    # Order matters: the choice widgets below are subclasses of one another
    # (CheckboxSelectMultiple and RadioSelect derive from Select / SelectMultiple).
    if widget.is_hidden:
        return "hidden"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.RadioSelect):
        return "radio"
    if isinstance(widget, forms.Select):  # also SelectMultiple, NullBooleanSelect
        return "select"
    if isinstance(widget, (forms.MultiWidget, forms.SelectDateWidget)):
        return "multi"
    if isinstance(widget, forms.FileInput):  # also ClearableFileInput
        return "file"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    input_type = getattr(widget, "input_type", None)
    if input_type in ("range", "color"):
        return input_type
    return "input"


@register.filter
def widget_type(value: Any) -> str:
    """The kind of a bound field's (or a widget's) widget; ``""`` for anything else."""
    widget = _widget_of(value)
    return _kind(widget) if widget is not None else ""


@register.filter
def bs(field: Any, extra: str = "") -> Any:
    """Render ``field``'s widget with the Bootstrap class for its kind, without changing the form."""
    if not isinstance(field, BoundField):
        return field
    widget = field.field.widget
    kind = _kind(widget)
    if isinstance(widget, forms.SelectDateWidget):
        kind_class = "form-select"
    else:
        kind_class = _CLASS_FOR_KIND.get(kind, "form-control")
    classes: list[str] = []
    for chunk in (widget.attrs.get("class", ""), kind_class, extra):
        for name in str(chunk or "").split():
            if name not in classes:
                classes.append(name)
    if field.errors and kind != "hidden" and "is-invalid" not in classes:
        classes.append("is-invalid")
    attrs = {"class": " ".join(classes)} if classes else {}
    if kind in ("radio", "checkboxes"):
        return _choice_list(field, attrs)
    # as_widget merges these attrs over widget.attrs for this one rendering; nothing is stored.
    return field.as_widget(attrs=attrs)


def _choice_list(field: BoundField, attrs: dict[str, Any]) -> SafeString:
    """Radio buttons / checkboxes as Bootstrap ``.form-check`` rows.

    Django's own template would also put the input class on the wrapping <div>, so the options are
    rendered one by one here (option groups are flattened).
    """
    widget = field.field.widget
    attrs = field.build_widget_attrs(attrs, widget)
    attrs.pop("aria-describedby", None)  # on the <fieldset> instead (includes/form.html)
    widget_id = widget.attrs.get("id") or field.auto_id
    if widget_id:
        attrs["id"] = widget_id
    options = [
        BoundWidget(widget, option, field.form.renderer)
        for option in widget.subwidgets(field.html_name, field.value(), attrs=attrs)
    ]
    rows = format_html_join(
        "\n",
        '<div class="form-check">{}<label class="form-check-label" for="{}">{}</label></div>',
        ((option.tag(), option.id_for_label, option.choice_label) for option in options),
    )
    if widget_id:
        return format_html('<div id="{}">{}</div>', widget_id, rows)
    return format_html("<div>{}</div>", rows)


@register.simple_tag
def url_replace(request: Any, *pairs: Any) -> str:
    """The request's query string with the given ``key, value`` pairs set (no leading ``?``)."""
    if len(pairs) % 2:
        raise template.TemplateSyntaxError("url_replace takes the request and then key/value pairs")
    get = getattr(request, "GET", None)
    query = get.copy() if get is not None else QueryDict(mutable=True)
    for key, value in zip(pairs[::2], pairs[1::2], strict=True):
        if value is None or value == "":
            query.pop(str(key), None)
        else:
            query[str(key)] = str(value)
    return query.urlencode()


@register.simple_tag
def elided_page_range(page_obj: Any, on_each_side: int = 2, on_ends: int = 1) -> list[Any]:
    """Page numbers around ``page_obj``'s page, with ``Paginator.ELLIPSIS`` where pages are left out."""
    paginator = getattr(page_obj, "paginator", None)
    if paginator is None:
        return []
    return list(paginator.get_elided_page_range(page_obj.number, on_each_side=on_each_side, on_ends=on_ends))


_ALERT_FOR_LEVEL = {
    message_constants.DEBUG: "alert-secondary",
    message_constants.INFO: "alert-info",
    message_constants.SUCCESS: "alert-success",
    message_constants.WARNING: "alert-warning",
    message_constants.ERROR: "alert-danger",
}


@register.filter
def alert_class(message: Any) -> str:
    """Bootstrap's alert class for a ``django.contrib.messages`` message (by level, not by tag)."""
    level = getattr(message, "level", message_constants.INFO)
    if level >= message_constants.ERROR:
        return "alert-danger"
    return _ALERT_FOR_LEVEL.get(level, "alert-info")


@register.filter
def startswith(value: Any, prefix: Any) -> bool:
    """True when ``value`` starts with a non-empty ``prefix``."""
    if not prefix:
        return False
    return str(value).startswith(str(prefix))


@register.simple_tag(takes_context=True)
def section(context: template.Context, item: Any) -> SafeString:
    """Like ``{% include %}`` with a whole mapping of extra context, chosen at run time."""
    tpl = context.template.engine.get_template(item["template"])
    with context.push(**item["context"]):
        return tpl.render(context)


@register.filter
def rule_title(code: Any) -> str:
    """A rule's title for a page (pages speak the rule's name; its code stays in the API, the console
    and the rule catalogue); ``""`` for a code the registry does not know."""
    from jiceng.core import rulebook

    spec = rulebook.BY_CODE.get(str(code))
    return str(spec.title) if spec is not None else ""


_SOURCES = {"web": gettext_lazy("网页"), "api": gettext_lazy("接口"), "cli": gettext_lazy("命令行")}


@register.filter
def audit_source(source: Any) -> str:
    """Where a change came from, in words (the stored value is ``web``, ``api`` or ``cli``)."""
    return str(_SOURCES.get(str(source or ""), source or "—"))


@register.filter
def period_name(label: Any) -> str:
    """``2026-Q4`` → 2026年第四季度 (English: the 4th quarter of 2026), as the compliance pages name periods."""
    from jiceng.core import compliance, periods

    try:
        return compliance.fmt_period(str(label))
    except periods.PeriodError:
        return str(label)
