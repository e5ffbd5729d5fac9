from django.urls import path

from . import views

app_name = "life"

urlpatterns = [
    path("", views.MeetingList.as_view(), name="list"),
    path("new/", views.meeting_create, name="create"),
    path("calendar/", views.calendar, name="calendar"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/delete/", views.meeting_delete, name="delete"),
    path("<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
]
