from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.UnitList.as_view(), name="list"),
    path("new/", views.UnitCreate.as_view(), name="create"),
    path("mine/", views.Mine.as_view(), name="mine"),
    path("<int:pk>/", views.UnitDetail.as_view(), name="detail"),
    path("<int:pk>/edit/", views.UnitEdit.as_view(), name="edit"),
    path("<int:pk>/deactivate/", views.UnitDeactivate.as_view(), name="deactivate"),
]
