"""Personal data kept out of error reports and caches.

- ``SensitiveDataFilter``: error reports (the DEBUG page, the e-mails and logs of a production
  install) never show identity numbers, passwords, tokens or TOTP codes: fields and variables with
  such names are replaced by stars **in every mode** (Django's own filter acts only with DEBUG off
  and only on what ``sensitive_post_parameters`` names), and ``ExceptionReporter`` masks anything
  left that looks like an identity number (in a variable's value, the exception's text, the query
  string), as the screens do; ``MaskingFormatter`` does the same for log lines.
- ``NoStoreMiddleware``: every answer to a signed-in user and every API answer carries
  ``Cache-Control: no-store``, so neither a shared proxy nor the browser's cache keeps a page with
  personal data after sign-out.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# Field and variable names whose values never appear in an error report.
SENSITIVE_NAMES = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|ID_NUMBER|IDNUMBER|NUMBER|CIPHER|DIGEST|OTP|"
    r"PHONE|PASSPHRASE|CREDENTIAL",
    flags=re.IGNORECASE,
)
# An identity number in any digits (``\d`` is meant here: full-width digits are masked too).
_ID_LIKE = re.compile(r"(\d{4})\d{10}(\d{3}[\dXxＸｘ])")
_MASK = r"\1**********\2"


def mask_numbers(value: Any) -> Any:
    """``value`` with every identity-number-like run of characters masked (first and last 4 shown)."""
    if isinstance(value, str):
        return _ID_LIKE.sub(_MASK, value)
    if isinstance(value, dict):
        return {k: mask_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_numbers(v) for v in value]
    if isinstance(value, tuple):
        return tuple(mask_numbers(v) for v in value)
    return value


class SensitiveDataFilter(SafeExceptionReporterFilter):
    """Django's filter, active in every mode, with jiceng's sensitive names."""

    hidden_settings = SENSITIVE_NAMES

    def is_active(self, request: HttpRequest | None) -> bool:
        return True

    def get_post_parameters(self, request: HttpRequest | None) -> Any:
        if request is None:
            return {}
        cleansed = request.POST.copy()
        for key in cleansed:
            if SENSITIVE_NAMES.search(key):
                cleansed.setlist(key, [self.cleansed_substitute])
            else:
                cleansed.setlist(key, [mask_numbers(v) for v in cleansed.getlist(key)])
        return cleansed

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, mask_numbers(self.cleanse_setting(name, value))) for name, value in variables]


class SafeExceptionReporter(ExceptionReporter):
    """Masks identity numbers in what the filter cannot name: variable values after formatting,
    the exception's text, the query string and the request's META."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        for frame in data.get("frames", []):
            if "vars" in frame:
                frame["vars"] = [(k, mask_numbers(v)) for k, v in frame["vars"]]
        for key in ("exception_value", "exception_notes", "request_insecure_uri", "request_meta"):
            if key in data:
                data[key] = mask_numbers(data[key])
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (k, self.filter.cleansed_substitute if SENSITIVE_NAMES.search(k) else mask_numbers(v))
                for k, v in data["request_GET_items"]
            ]
        return data


class MaskingFormatter(logging.Formatter):
    """Log lines (and the tracebacks they carry) with identity numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_numbers(super().format(record))


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every page shown to a signed-in user and on every API answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A session cookie stands for a signed-in user: asking ``request.user`` here would load the
        # session from the database after the response is made (and fail when the database is away).
        personal = request.path.startswith("/api/") or settings.SESSION_COOKIE_NAME in request.COOKIES
        if personal and "no-store" not in response.get("Cache-Control", ""):
            add_never_cache_headers(response)
        return response
