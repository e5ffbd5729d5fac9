from django.urls import path

from . import rule_views, views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("otp/", views.otp, name="otp"),
    path("rules/", rule_views.rules, name="rules"),
]
