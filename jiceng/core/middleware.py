"""Request-wide concerns: the request id every change record carries, and answers that are never a
server error for input no view can use or for a database that is away.

``BadInputMiddleware`` (issue 11 item 7) answers **400** with a clear message for a NUL byte in the
path or the query (PostgreSQL refuses NUL in text: a lookup by such a code used to answer 500), for
JSON nested beyond what the parser can follow (``RecursionError``), and for a value the database
refuses as out of its range; and **503** "请稍后重试" when the database cannot be reached or drops the
connection mid-request (a page without anything that needs the database, or JSON under ``/api/``).
A view's writes are atomic services, so a request cut off by the database has written nothing.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import defaults

from .access import client_ip
from .context import action_context

logger = logging.getLogger(__name__)


class RequestContextMiddleware:
    """Give every request an id (echoed as X-Request-ID) that its change records carry."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = "api" if request.path.startswith("/api/") else "web"
        with action_context(source=source, ip_address=client_ip(request)) as ctx:
            request.request_id = ctx.request_id
            response = self.get_response(request)
        response["X-Request-ID"] = str(ctx.request_id)
        return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, message: str, code: str = "bad_request") -> HttpResponse:
    """400 with ``message``: JSON under /api/, a plain page (nothing from the database) elsewhere."""
    if _is_api(request):
        return JsonResponse({"code": code, "message": message}, status=400)
    body = loader.render_to_string("400.html", {"message": message})
    return HttpResponse(body, status=400, content_type="text/html; charset=utf-8")


def unavailable(request: HttpRequest) -> HttpResponse:
    """503 "请稍后重试": the database is away; the page itself needs nothing from it."""
    if _is_api(request):
        response: HttpResponse = JsonResponse(
            {"code": "unavailable", "message": _("系统暂时无法访问数据库，请稍后重试")}, status=503
        )
    else:
        response = HttpResponse(
            loader.render_to_string("503.html"), status=503, content_type="text/html; charset=utf-8"
        )
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "%00" not in query and "\x00" not in query:
        return False
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists())


def _database_away(exception: BaseException) -> bool:
    return isinstance(exception, OperationalError | InterfaceError) and not isinstance(exception, DataError)


class BadInputMiddleware:
    """400 for input no view can use, 503 when the database is away (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return bad_request(request, _("请求的地址或参数中含有不允许的字符（NUL）"), code="nul_character")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RecursionError):
            return bad_request(request, _("提交的数据嵌套过深，无法处理"), code="too_deep")
        if isinstance(exception, ValueError) and "NUL" in str(exception):
            return bad_request(request, _("提交的数据中含有不允许的字符（NUL）"), code="nul_character")
        if isinstance(exception, DataError):
            logger.warning("data refused by the database on %s: %s", request.path, exception)
            return bad_request(request, _("提交的数据超出允许的范围"), code="out_of_range")
        if _database_away(exception):
            logger.error("database unavailable on %s: %s", request.path, exception)
            return unavailable(request)
        return None


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: 503 when what went wrong is the database being away (say, while a middleware
    saved the session), Django's plain 500 page otherwise."""
    exception = sys.exc_info()[1]
    if exception is not None and isinstance(exception, DatabaseError) and _database_away(exception):
        return unavailable(request)
    return defaults.server_error(request, template_name)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """The language of a page: Chinese (``LANGUAGE_CODE``) whatever the browser asks for in its
    Accept-Language, English only when the user chose it with the language switch (``set_language``
    keeps the choice in the language cookie, for a year: ``LANGUAGE_COOKIE_AGE``).

    A secretary whose phone happens to be set to English must not get English pages they never asked
    for; Django's ``LocaleMiddleware`` would follow the header."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = settings.LANGUAGE_CODE
        if chosen and len(chosen) <= 16:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
