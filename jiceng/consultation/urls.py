from django.urls import path

from . import views

app_name = "consultation"

urlpatterns = [
    path("", views.Index.as_view(), name="index"),
    path("new/", views.TopicCreate.as_view(), name="topic_new"),
    path("<int:pk>/", views.TopicDetail.as_view(), name="topic"),
    path("<int:pk>/notice/", views.NoticeView.as_view(), name="notice"),
    path("<int:pk>/meeting/", views.MeetingView.as_view(), name="meeting"),
    path("<int:pk>/items/new/", views.ItemCreate.as_view(), name="item_new"),
    path("items/<int:pk>/", views.ItemDetail.as_view(), name="item"),
    path("items/<int:pk>/milestones/", views.MilestoneCreate.as_view(), name="milestone_new"),
    path("comments/<int:pk>/hide/", views.CommentHide.as_view(), name="comment_hide"),
]
