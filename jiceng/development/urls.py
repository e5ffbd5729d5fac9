from django.urls import path

from . import views

app_name = "development"

urlpatterns = [
    path("", views.index, name="index"),
    path("board/<str:code>/", views.board, name="board"),
    path("new/", views.Apply.as_view(), name="apply"),
    path("<int:pk>/", views.Detail.as_view(), name="detail"),
    path("<int:pk>/edit/", views.Edit.as_view(), name="edit"),
    path("<int:pk>/print/", views.Print.as_view(), name="print"),
    path("<int:pk>/reveal/", views.Reveal.as_view(), name="reveal"),
    path("<int:pk>/people/", views.people_search, name="people"),
    path("<int:pk>/steps/<str:kind>/", views.StepCreate.as_view(), name="step"),
    path("steps/<int:pk>/delete/", views.step_delete, name="step_delete"),
]
