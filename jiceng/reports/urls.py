from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("<str:code>/", views.health, name="health"),
    path("<str:code>/finding/", views.finding, name="finding"),
    path("<str:code>/export/", views.export, name="export"),
    path("<str:code>/ranking/", views.ranking, name="ranking"),
]
