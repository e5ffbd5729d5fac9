from django.urls import path

from . import views

app_name = "life"

urlpatterns = [
    path("", views.MeetingList.as_view(), name="list"),
    path("new/", views.MeetingCreate.as_view(), name="create"),
    path("calendar/", views.calendar, name="calendar"),
    path("<int:pk>/", views.MeetingDetail.as_view(), name="detail"),
    path("<int:pk>/edit/", views.MeetingEdit.as_view(), name="edit"),
    path("<int:pk>/delete/", views.MeetingDelete.as_view(), name="delete"),
    path("<int:pk>/attachments/", views.AttachmentAdd.as_view(), name="attachment_add"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<int:pk>/delete/", views.AttachmentDelete.as_view(), name="attachment_delete"),
]
