"""The project's URLs plus this app's pages and API, until jiceng/urls.py and jiceng/api_urls.py
include them; once they do, the project's own routes are used unchanged."""

from __future__ import annotations

from django.urls import NoReverseMatch, include, path, reverse
from rest_framework.routers import SimpleRouter

import jiceng.core.api  # noqa: F401  (first: DRF's settings import it while loading its generics)
from jiceng import urls as project
from jiceng.life.api import ROUTES


def _wired(name: str) -> bool:
    try:
        reverse(name, urlconf=project)
    except NoReverseMatch:
        return False
    return True


urlpatterns = list(project.urlpatterns)
if not _wired("life:list"):
    urlpatterns.insert(0, path("life/", include("jiceng.life.urls")))
if not _wired("api-meeting-list"):
    router = SimpleRouter()
    for prefix, viewset, basename in ROUTES:
        router.register(prefix, viewset, basename=basename)
    urlpatterns.insert(0, path("api/v1/", include(router.urls)))
