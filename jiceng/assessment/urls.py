from django.urls import path

from . import review_views, views

app_name = "assessment"

urlpatterns = [
    path("", views.Index.as_view(), name="index"),
    path("schemes/new/", views.SchemeCreate.as_view(), name="scheme_create"),
    path("schemes/<int:pk>/", views.SchemeDetail.as_view(), name="scheme"),
    path("schemes/<int:pk>/edit/", views.SchemeEdit.as_view(), name="scheme_edit"),
    path("schemes/<int:pk>/run/", views.RunCreate.as_view(), name="run_create"),
    path("schemes/<int:pk>/panel/", views.PanelScores.as_view(), name="panel"),
    path("runs/<int:pk>/", views.RunDetail.as_view(), name="run"),
    path("results/<int:pk>/", views.ResultDetail.as_view(), name="result"),
    path("reviews/", review_views.Rounds.as_view(), name="reviews"),
    path("reviews/<int:pk>/", review_views.RoundDetail.as_view(), name="review_round"),
    path("reports/<int:pk>/", review_views.ReportDetail.as_view(), name="report"),
    path("reports/<int:pk>/print/", review_views.ReportPrint.as_view(), name="report_print"),
]
