from django.urls import path

from . import views

app_name = "participation"

urlpatterns = [
    path("", views.Index.as_view(), name="index"),
    path("registrations/new/", views.RegistrationCreate.as_view(), name="registration_new"),
    path("registrations/<int:pk>/", views.RegistrationDetail.as_view(), name="registration"),
    path("registrations/<int:pk>/decide/", views.RegistrationDecide.as_view(), name="registration_decide"),
    path("registrations/<int:pk>/end/", views.RegistrationEnd.as_view(), name="registration_end"),
    path("units/new/", views.UnitCreate.as_view(), name="unit_new"),
    path("units/<int:pk>/decide/", views.UnitDecide.as_view(), name="unit_decide"),
    path("tasks/", views.Tasks.as_view(), name="tasks"),
    path("tasks/new/", views.TaskCreate.as_view(), name="task_new"),
    path("tasks/<int:pk>/", views.TaskDetail.as_view(), name="task"),
    path("tasks/<int:pk>/claim/", views.TaskClaimView.as_view(), name="task_claim"),
    path("tasks/<int:pk>/close/", views.TaskClose.as_view(), name="task_close"),
    path("claims/<int:pk>/report/", views.ClaimReport.as_view(), name="claim_report"),
    path("activities/", views.Activities.as_view(), name="activities"),
    path("activities/new/", views.ActivityCreate.as_view(), name="activity_new"),
    path("activities/<int:pk>/", views.ActivityDetail.as_view(), name="activity"),
    path("activities/<int:pk>/sign-up/", views.ActivitySignUp.as_view(), name="activity_sign_up"),
    path("activities/<int:pk>/residents/", views.ActivityResident.as_view(), name="activity_resident"),
    path("activities/<int:pk>/attendance/", views.ActivityAttendance.as_view(), name="activity_attendance"),
    path("volunteers/<int:pk>/reveal/", views.VolunteerReveal.as_view(), name="volunteer_reveal"),
    path("figures/", views.Figures.as_view(), name="figures"),
    path("me/", views.Me.as_view(), name="me"),
    path("me/certificate/", views.Certificate.as_view(), name="certificate"),
]
