"""The public community page (no account)."""

from django.urls import path

from . import public

app_name = "community"

urlpatterns = [path("<str:code>/", public.community, name="page")]
