"""The project's routes plus the roster app's, for the page tests until jiceng/urls.py includes them."""

from django.urls import include, path

from jiceng.urls import urlpatterns as project

urlpatterns = list(project)
if not any(getattr(p, "namespace", None) == "roster" for p in project):
    urlpatterns.append(path("roster/", include("jiceng.roster.urls")))
