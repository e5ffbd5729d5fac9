from django.urls import path

from . import views

app_name = "tasks"

urlpatterns = [
    path("", views.Index.as_view(), name="index"),
    path("new/", views.Create.as_view(), name="create"),
    path("<int:pk>/", views.Detail.as_view(), name="detail"),
    path("<int:pk>/remind/", views.Remind.as_view(), name="remind"),
    path("assignments/<int:pk>/", views.AssignmentDetail.as_view(), name="assignment"),
    path("assignments/<int:pk>/confirm/", views.Confirm.as_view(), name="confirm"),
    path("assignments/<int:pk>/answer/", views.Answer.as_view(), name="answer"),
    path("assignments/<int:pk>/withdraw/", views.Withdraw.as_view(), name="withdraw"),
    path("assignments/<int:pk>/pass-on/", views.PassOn.as_view(), name="pass_on"),
    path("assignments/<int:pk>/file/", views.answer_file, name="file"),
    path("responsibilities/", views.Responsibilities.as_view(), name="responsibilities"),
    path("responsibilities/add/", views.ResponsibilityAdd.as_view(), name="responsibility_add"),
    path(
        "responsibilities/items/<int:pk>/delete/",
        views.ResponsibilityDelete.as_view(),
        name="responsibility_delete",
    ),
]
