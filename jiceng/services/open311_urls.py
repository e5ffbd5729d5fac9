"""Open311 GeoReport v2, JSON and XML (``jiceng.services.open311``), mounted at ``/open311/v2/``."""

from django.urls import re_path

from . import open311

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    re_path(r"^services" + FMT, open311.service_list, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + FMT, open311.requests_view, name="requests"),
    re_path(r"^requests/(?P<service_request_id>[^/]+)" + FMT, open311.request_detail, name="request"),
    re_path(r"^tokens/(?P<token_id>[^/]+)" + FMT, open311.token, name="token"),
]
