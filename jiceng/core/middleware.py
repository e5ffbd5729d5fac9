from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .access import client_ip
from .context import action_context


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
