from django.urls import path

from . import views

app_name = "roster"

urlpatterns = [
    path("import/", views.import_start, name="import"),
    path("import/<uuid:job>/", views.job_detail, name="job"),
    path("import/<uuid:job>/progress/", views.job_progress, name="progress"),
    path("import/<uuid:job>/confirm/", views.job_confirm, name="confirm"),
    path("import/<uuid:job>/discard/", views.job_discard, name="discard"),
    path("import/<uuid:job>/retry/", views.job_retry, name="retry"),
    path("import/<uuid:job>/bad-rows.xlsx", views.job_bad_rows, name="bad_rows"),
    path("export/<str:code>/", views.export, name="export"),
]
