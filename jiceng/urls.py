from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path

from jiceng.accounts import oidc
from jiceng.core import views as core_views

# Django's admin is for system administrators alone, and they sign in through jiceng's own login
# page, which asks for the TOTP code of those who enrolled a device.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser
admin.site.login = lambda request, extra_context=None: redirect_to_login(request.GET.get("next", "/admin/"))
admin.site.site_header = admin.site.site_title = "jiceng"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("login/", core_views.LoginView.as_view(), name="login"),
    path("logout/", core_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (OpenID Connect), answering only when JICENG_OIDC_ENABLED=1 (docs/sso.md).
    path("oidc/authenticate/", oidc.authenticate_view, name="oidc_authentication_init"),
    path("oidc/callback/", oidc.callback_view, name="oidc_authentication_callback"),
    path("oidc/failed/", oidc.failed_view, name="oidc_failed"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("core/", include("jiceng.core.urls")),
    path("orgs/", include("jiceng.orgs.urls")),
    path("members/", include("jiceng.members.urls")),
    path("life/", include("jiceng.life.urls")),
    path("development/", include("jiceng.development.urls")),
    path("tasks/", include("jiceng.tasks.urls")),
    path("dues/", include("jiceng.dues.urls")),
    path("assessment/", include("jiceng.assessment.urls")),
    path("reports/", include("jiceng.reports.urls")),
    path("roster/", include("jiceng.roster.urls")),
    path("accounts/", include("jiceng.accounts.urls")),
    path("notifications/", include("jiceng.notifications.urls")),
    path("services/", include("jiceng.services.urls")),
    path("requests/", include("jiceng.services.public_urls")),
    path("community/", include("jiceng.orgs.public_urls")),
    path("open311/v2/", include("jiceng.services.open311_urls")),
    path("partners/", include("jiceng.partners.urls")),
    path("participation/", include("jiceng.participation.urls")),
    path("consultation/public/", include("jiceng.consultation.public_urls")),
    path("consultation/", include("jiceng.consultation.urls")),
    path("api/v1/", include("jiceng.api_urls")),
    path("admin/", admin.site.urls),
]

# The database away (a connection cut while a middleware worked): 503 "请稍后重试", not a raw 500.
handler500 = "jiceng.core.middleware.server_error"
