from django.urls import path

from . import views

app_name = "dues"

urlpatterns = [
    path("", views.Index.as_view(), name="index"),
    path("orgs/<str:code>/report/", views.ReportView.as_view(), name="report"),
    path("orgs/<str:code>/report.xlsx", views.ReportXlsx.as_view(), name="report_xlsx"),
    path("orgs/<str:code>/publication/", views.PublicationView.as_view(), name="publication"),
    path("orgs/<str:code>/publication.xlsx", views.PublicationXlsx.as_view(), name="publication_xlsx"),
    path("orgs/<str:code>/uses/", views.UseWrite.as_view(), name="use"),
    path("branches/<str:code>/", views.Sheet.as_view(), name="sheet"),
    path("branches/<str:code>/mark/", views.MarkPaid.as_view(), name="mark"),
    path("branches/<str:code>/fix/", views.FixYear.as_view(), name="fix"),
    path("branches/<str:code>/settings/", views.Settings.as_view(), name="settings"),
    path("members/<int:pk>/", views.MemberDues.as_view(), name="member"),
    path("members/<int:pk>/<str:kind>/", views.MemberWrite.as_view(), name="member_write"),
]
