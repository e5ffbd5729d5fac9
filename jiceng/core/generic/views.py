"""Generic scoped pages: list, detail (with history), form, delete, export.

A subclass names what is particular to it (the selector that finds the object, the form, the service
call, the template); scope, sign-in, htmx fragments, service refusals and messages are handled here.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import View

from jiceng.core import audit, concurrency, scope
from jiceng.core.forms import add_service_errors
from jiceng.core.selectors import history_page

HISTORY_LIMIT = 200


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def fragment_or_page(request: HttpRequest, page: str, fragment: str, context: dict[str, Any]) -> HttpResponse:
    """The page, or for htmx its fragment; caches keep the two apart."""
    response = render(request, fragment if is_htmx(request) else page, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def scope_path(obj: Model) -> str:
    """The materialized path that scopes ``obj``: the field its queryset restricts by."""
    field = getattr(type(obj)._default_manager.get_queryset(), "scope_path_field", "org_path")
    return getattr(obj, field)


def ensure_allowed(user: Any, action: str, obj: Model, denied: str | None = None) -> None:
    """``obj`` is known to be visible (a selector found it): refusing ``action`` is a 403, not a 404."""
    if action != scope.VIEW and not scope.can(user, action, scope_path(obj)):
        raise PermissionDenied(denied or _("您没有执行此操作的权限"))


def label_any_choice(form: forms.Form) -> None:
    """Filter selects start with "全部" (all) rather than django-filter's dashes."""
    for field in form.fields.values():
        if getattr(field, "empty_label", None) is not None and not isinstance(field, forms.ModelChoiceField):
            field.empty_label = _("全部")
            field.widget.choices = field.choices  # the widget holds its own copy of the choice iterator


class ScopedView(LoginRequiredMixin, View):
    """Sign-in required (a redirect to the login page), GET only unless a subclass says more."""

    http_method_names: ClassVar[list[str]] = ["get"]
    request: HttpRequest

    @property
    def user(self) -> Any:
        return self.request.user


class ObjectView(ScopedView):
    """A page about one object: ``lookup`` is the app's selector (404 outside the scope); ``action``
    is what the user must be allowed on it (403 when visible without it)."""

    action: ClassVar[str] = scope.VIEW
    denied: ClassVar[Any] = None  # the 403's message; a generic one when None
    template_name: ClassVar[str] = ""
    object: Any = None

    def lookup(self, **kwargs: Any) -> Any:
        raise NotImplementedError

    def get_object(self) -> Any:
        obj = self.lookup(**self.kwargs)
        if obj is not None:
            ensure_allowed(self.user, self.action, obj, str(self.denied) if self.denied else None)
        return obj

    def check(self) -> HttpResponse | None:
        """Preconditions after the scope check: a response (a redirect with a warning) ends the page."""
        return None

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return {"object": self.object, **extra}

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The order of @login_required, @require_http_methods, then the lookup: sign-in, 405, 404, 403.
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        self.object = self.get_object()
        return self.check() or super().dispatch(request, *args, **kwargs)


class ObjectDetailView(ObjectView):
    """One object's page; with ``history`` its latest change records (``changes``) as well."""

    history: ClassVar[bool] = False
    history_limit: ClassVar[int | None] = HISTORY_LIMIT

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        if self.history:
            context["changes"] = history_page(self.user, self.object, limit=self.history_limit)
        return context

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, self.get_context_data())


class ObjectFormView(ObjectView):
    """A form whose valid data a service turns into a write; its refusal is shown on the form.

    ``perform(form)`` calls the service and answers ``(landing, message)``: the page then shows the
    message and redirects to ``success_url(landing)``. ``rename`` maps a service's field names to the
    form's. A create page has no object: its ``lookup`` answers ``None``.
    """

    http_method_names: ClassVar[list[str]] = ["get", "post"]
    action: ClassVar[str] = scope.CHANGE
    rename: ClassVar[dict[str, str] | None] = None
    # What a service raises to refuse the write; shown on the form by ``show_service_errors``.
    refusals: ClassVar[tuple[type[Exception], ...]] = (ValidationError,)
    # An edit of a record carries the version it was based on (a hidden field): the service refuses
    # the save when someone else changed the record meanwhile (``core.concurrency``).
    versioned: ClassVar[bool] = False

    def version(self, form: Any) -> str | None:
        """The version the edit was based on, for the service's ``version=``."""
        return (form.cleaned_data.get("version") or None) if self.versioned else None

    def get_form(self, data: Any, files: Any) -> forms.BaseForm:
        raise NotImplementedError

    def perform(self, form: Any) -> tuple[Any, str]:
        raise NotImplementedError

    def success_url(self, landing: Any) -> str:
        return landing.get_absolute_url()

    def succeeded(self, landing: Any) -> None:
        """After the success message: more messages (a warning), say."""

    def show_service_errors(self, form: Any, error: Exception) -> None:
        if not isinstance(error, ValidationError):
            raise error
        if hasattr(form, "add_service_errors"):
            form.add_service_errors(error)
        else:
            add_service_errors(form, error, self.rename)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        posted = request.method == "POST"
        form = self.get_form(request.POST if posted else None, request.FILES if posted else None)
        if self.versioned:
            form.fields["version"] = forms.CharField(
                widget=forms.HiddenInput,
                required=False,
                max_length=concurrency.MAX_VERSION_LENGTH,
                initial=concurrency.version_of(self.object),
            )
        if posted and form.is_valid():
            try:
                landing, message = self.perform(form)
            except self.refusals as error:
                self.show_service_errors(form, error)
                if isinstance(error, concurrency.StaleWrite):
                    # The reader now sees what changed; saving again applies their edit over it.
                    form.data = form.data.copy()
                    form.data["version"] = concurrency.version_of(self.object)
            else:
                messages.success(request, message)
                self.succeeded(landing)
                return redirect(self.success_url(landing))
        return render(request, self.template_name, self.get_context_data(form=form))

    post = get


class ObjectDeleteView(ObjectView):
    """POST only: ``perform()`` calls the service and answers the success message."""

    http_method_names: ClassVar[list[str]] = ["post"]
    action: ClassVar[str] = scope.CHANGE

    def perform(self) -> str:
        raise NotImplementedError

    def success_url(self) -> str:
        raise NotImplementedError

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        url = self.success_url()  # before the object is gone
        messages.success(request, self.perform())
        return redirect(url)


class ObjectListView(ScopedView):
    """A filtered, paginated list from the app's selector; htmx gets ``<template>#results``."""

    filterset_class: ClassVar[Any] = None
    template_name: ClassVar[str] = ""
    page_size: ClassVar[int] = 20
    label_any_choice: ClassVar[bool] = False

    def get_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return extra

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.filterset = self.filterset_class(request.GET, queryset=self.get_queryset())
        if self.label_any_choice:
            label_any_choice(self.filterset.form)
        page_obj = Paginator(self.filterset.qs, self.page_size).get_page(request.GET.get("page"))
        context = self.get_context_data(filter=self.filterset, page_obj=page_obj)
        return fragment_or_page(request, self.template_name, f"{self.template_name}#results", context)


class ObjectExportView(ObjectListView):
    """The list's rows, filtered as on the page, as CSV; the export is audited (what, how many rows).

    ``columns`` are ``(header, value of a row)``; the export covers exactly the user's scope because
    the rows come from the same selector as the page.
    """

    columns: ClassVar[list[tuple[Any, Callable[[Any], Any]]]] = []
    filename: ClassVar[str] = "export.csv"
    what: ClassVar[Any] = ""  # the audit record's description, say "组织生活记录"

    def audit_path(self) -> str | None:
        """The subtree the export covers, for the audit record (None: the user's whole scope)."""
        return None

    def rows(self, qs: Iterable[Any]) -> Iterable[list[str]]:
        yield [str(header) for header, _value in self.columns]
        for obj in qs:
            yield ["" if (v := value(obj)) is None else str(v) for _header, value in self.columns]

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        qs = self.filterset_class(request.GET, queryset=self.get_queryset()).qs
        audit.record(
            actor=self.user,
            action=audit.Action.EXPORT,
            org_path=self.audit_path(),
            message=_("导出%(what)s，共%(n)d条") % {"what": self.what, "n": qs.count()},
        )

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(Echo())
        response = StreamingHttpResponse(
            ("\ufeff" if i == 0 else "") + writer.writerow(row) for i, row in enumerate(self.rows(qs))
        )
        response["Content-Type"] = "text/csv; charset=utf-8"
        response["Content-Disposition"] = f'attachment; filename="{self.filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
