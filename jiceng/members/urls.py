from django.urls import path

from . import views

app_name = "members"

urlpatterns = [
    path("", views.MemberList.as_view(), name="list"),
    path("me/", views.me, name="me"),
    path("new/", views.MemberCreate.as_view(), name="create"),
    path("derive/", views.derive, name="derive"),
    path("<int:pk>/", views.MemberDetail.as_view(), name="detail"),
    path("<int:pk>/edit/", views.MemberEdit.as_view(), name="edit"),
    path("<int:pk>/transfer/", views.MemberTransfer.as_view(), name="transfer"),
    path("<int:pk>/reveal/", views.Reveal.as_view(), name="reveal"),
]
