"""The public pages (no account): a community's intake page and poster, the resident's tracking page."""

from django.urls import path

from . import public

app_name = "requests"

urlpatterns = [
    path("new/<str:code>/", public.intake, name="intake"),
    path("poster/<str:code>/", public.poster, name="poster"),
    path("t/<str:token>/", public.track, name="track"),
    path("sms/reply/", public.sms_reply, name="sms_reply"),
]
