# Placeholder until the core pages land (owned by the pages engineer).
from django.contrib.auth import views as auth_views
from django.http import HttpResponse


def home(request):
    return HttpResponse("jiceng")


LoginView = auth_views.LoginView
LogoutView = auth_views.LogoutView
