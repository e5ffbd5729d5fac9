from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<str:code>/", views.Detail.as_view(), name="detail"),
    path("<str:code>/history/", views.History.as_view(), name="history"),
    path("<str:code>/children/", views.children, name="children"),
    path("<str:code>/new/", views.Create.as_view(), name="create"),
    path("<str:code>/edit/", views.Edit.as_view(), name="edit"),
    path("<str:code>/move/", views.Move.as_view(), name="move"),
    path("<str:code>/merge/", views.Merge.as_view(), name="merge"),
    path("<str:code>/split/", views.Split.as_view(), name="split"),
    path("<str:code>/election/", views.Election.as_view(), name="election"),
    path("<str:code>/extension/", views.Extension.as_view(), name="extension"),
    path("<str:code>/secretary/", views.Secretary.as_view(), name="secretary"),
    path("<str:code>/groups/new/", views.GroupCreate.as_view(), name="group_create"),
]
