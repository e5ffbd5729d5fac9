from django.urls import path

from . import views

app_name = "services"

urlpatterns = [
    path("", views.RequestListView.as_view(), name="list"),
    path("new/", views.HandlerIntakeView.as_view(), name="create"),
    path("figures/", views.FiguresView.as_view(), name="figures"),
    path("desks/", views.DesksView.as_view(), name="desks"),
    path("hotline/export/", views.HotlineExportView.as_view(), name="hotline_export"),
    path("routes/<str:code>/", views.RoutesView.as_view(), name="routes"),
    path("<str:code>/", views.RequestDetailView.as_view(), name="detail"),
    path("<str:code>/step/", views.RequestStepView.as_view(), name="step"),
    path("<str:code>/hand-over/", views.HandOverView.as_view(), name="hand_over"),
    path("<str:code>/cohandler/", views.CoHandlerView.as_view(), name="cohandler"),
    path("<str:code>/reveal/", views.RevealView.as_view(), name="reveal"),
    path("<str:code>/moderate/", views.ModerateView.as_view(), name="moderate"),
    path("<str:code>/moderate-words/", views.ModerateWordsView.as_view(), name="moderate_words"),
    path("<str:code>/photo/", views.PhotoView.as_view(), name="photo"),
]
