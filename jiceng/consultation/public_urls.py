"""The public page of a topic (no account)."""

from django.urls import path

from . import public

app_name = "consultation_public"

urlpatterns = [
    path("<int:pk>/", public.topic, name="topic"),
]
