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
    path("<int:pk>/agreements/new/", views.AgreementCreate.as_view(), name="agreement_create"),
    path("agreements/", views.AgreementList.as_view(), name="agreements"),
    path("agreements/<int:pk>/", views.AgreementDetail.as_view(), name="agreement"),
    path("agreements/<int:pk>/resources/", views.ResourceAdd.as_view(), name="resource_add"),
    path("agreements/<int:pk>/needs/", views.NeedAdd.as_view(), name="need_add"),
    path("agreements/<int:pk>/projects/", views.ProjectAdd.as_view(), name="project_add"),
    path("agreements/<int:pk>/remove/", views.ItemRemove.as_view(), name="item_remove"),
    path("projects/<int:pk>/milestones/", views.MilestoneAdd.as_view(), name="milestone_add"),
    path("projects/<int:pk>/status/", views.ProjectStatusSet.as_view(), name="project_status"),
    path("milestones/<int:pk>/", views.MilestoneProgress.as_view(), name="milestone_progress"),
    path("figures/", views.Figures.as_view(), name="figures"),
]
