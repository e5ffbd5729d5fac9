"""The project's URLs plus the compliance pages and API, for tests that run before they are wired in
(``jiceng/urls.py`` and ``jiceng/api_urls.py`` belong to other work). Harmless once they are."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from jiceng.core import api_compliance
from jiceng.urls import urlpatterns as project_urlpatterns

router = SimpleRouter()
api_compliance.register(router)

urlpatterns = [
    path("reports/", include("jiceng.reports.urls")),
    path("api/v1/", include(router.urls)),
    *project_urlpatterns,
]
