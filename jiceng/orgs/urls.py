from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/history/", views.history, name="history"),
    path("<str:code>/children/", views.children, name="children"),
    path("<str:code>/new/", views.create, name="create"),
    path("<str:code>/edit/", views.edit, name="edit"),
    path("<str:code>/move/", views.move, name="move"),
    path("<str:code>/merge/", views.merge, name="merge"),
    path("<str:code>/split/", views.split, name="split"),
    path("<str:code>/election/", views.election, name="election"),
    path("<str:code>/extension/", views.extension, name="extension"),
    path("<str:code>/secretary/", views.secretary, name="secretary"),
    path("<str:code>/groups/new/", views.group_create, name="group_create"),
]
