"""Open311 GeoReport v2, JSON (``jiceng.services.open311``), mounted at ``/open311/v2/``."""

from django.urls import path

from . import open311

app_name = "open311"

urlpatterns = [
    path("services.json", open311.service_list, name="services"),
    path("services/<str:service_code>.json", open311.service_definition, name="service"),
    path("requests.json", open311.requests_view, name="requests"),
    path("requests/<str:service_request_id>.json", open311.request_detail, name="request"),
]
