from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.user_list, name="users"),
    path("new/", views.user_create, name="create"),
    path("users/<int:pk>/", views.user_detail, name="user"),
    path("users/<int:pk>/roles/", views.role_grant, name="grant"),
    path("users/<int:pk>/password/", views.password_reset, name="reset"),
    path("users/<int:pk>/active/", views.set_active, name="active"),
    path("roles/<int:pk>/withdraw/", views.role_withdraw, name="withdraw"),
    path("notices/dismiss/", views.notices_dismiss, name="dismiss"),
    path("secretaries/", views.secretaries, name="secretaries"),
    path("activation-codes/", views.activation_codes, name="codes"),
    path("activation-codes/development/<int:pk>/", views.development_code, name="development_code"),
    path("activate/", views.activate, name="activate"),
    path("password/", views.password_change, name="password_change"),
]
