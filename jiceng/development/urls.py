from django.urls import path

from . import views

app_name = "development"

urlpatterns = [
    path("", views.index, name="index"),
    path("board/<str:code>/", views.board, name="board"),
    path("new/", views.apply, name="apply"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/print/", views.print_file, name="print"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/people/", views.people_search, name="people"),
    path("<int:pk>/steps/<str:kind>/", views.step_create, name="step"),
    path("steps/<int:pk>/delete/", views.step_delete, name="step_delete"),
]
