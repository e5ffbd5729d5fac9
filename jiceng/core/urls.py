from django.urls import path

from . import account_views, rule_views, views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("otp/", account_views.otp, name="otp"),
    path("account/password/", account_views.PasswordChangeView.as_view(), name="password"),
    path("account/tokens/", account_views.token_list, name="tokens"),
    path("rules/", rule_views.rules, name="rules"),
]
