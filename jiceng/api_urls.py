"""The REST API, version 1 (/api/v1/). The OpenAPI schema is at /api/v1/openapi.json.

No Swagger or Redoc page: their assets would have to come from a CDN, which the CSP (and an intranet)
forbids; any OpenAPI viewer can read the JSON schema.
"""

from django.urls import path, re_path
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from jiceng.accounts.api import URLS as ACCOUNTS_URLS
from jiceng.assessment.api import ROUTES as ASSESSMENT_ROUTES
from jiceng.consultation.api import ROUTES as CONSULTATION_ROUTES
from jiceng.core import api_compliance
from jiceng.core.api import CredentialsSerializer, TokenSerializer, TokenView, error_responses, not_found
from jiceng.core.api_own import OwnSectionsView, OwnSectionView
from jiceng.development.api import ROUTES as DEVELOPMENT_ROUTES
from jiceng.dues.api import ROUTES as DUES_ROUTES
from jiceng.life.api import ROUTES as LIFE_ROUTES
from jiceng.members.api import MemberViewSet, MeView
from jiceng.notifications.api import URLS as NOTIFICATION_URLS
from jiceng.orgs.api import OrgViewSet
from jiceng.participation.api import ROUTES as PARTICIPATION_ROUTES
from jiceng.participation.api import URLS as PARTICIPATION_URLS
from jiceng.partners.api import ROUTES as PARTNER_ROUTES
from jiceng.partners.api import URLS as PARTNER_URLS
from jiceng.reports.api import FindingViewSet
from jiceng.roster.api import ImportJobStatus
from jiceng.services.api import ROUTES as SERVICES_ROUTES
from jiceng.tasks.api import ROUTES as TASK_ROUTES

# Documented here, not in jiceng.core.api: see TokenView's docstring (an import cycle with DRF settings).
extend_schema_view(
    post=extend_schema(
        operation_id="auth_token_create",
        summary="Obtain an API token",
        description=(
            "Exchange a user name and password (plus the TOTP code for accounts with two-step "
            "verification) for a token; send it as `Authorization: Token <token>`. Failures are audited "
            "and repeated failures lock the user name out for a while (429)."
        ),
        auth=[],
        request=CredentialsSerializer,
        responses={200: TokenSerializer, **error_responses(400, 429)},
        tags=["auth"],
    ),
    delete=extend_schema(
        operation_id="auth_token_destroy",
        summary="Revoke the caller's API token",
        request=None,
        responses={204: None, **error_responses(401)},
        tags=["auth"],
    ),
)(TokenView)

router = SimpleRouter()
router.register("orgs", OrgViewSet, basename="api-org")
router.register("members", MemberViewSet, basename="api-member")
for prefix, viewset, basename in [
    *LIFE_ROUTES,
    *DEVELOPMENT_ROUTES,
    *SERVICES_ROUTES,
    *PARTNER_ROUTES,
    *TASK_ROUTES,
    *DUES_ROUTES,
    *ASSESSMENT_ROUTES,
]:
    router.register(prefix, viewset, basename=basename)
for prefix, viewset, basename in [*PARTICIPATION_ROUTES, *CONSULTATION_ROUTES]:
    router.register(prefix, viewset, basename=basename)
router.register("findings", FindingViewSet, basename="api-finding")
api_compliance.register(router)

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("me/sections/", OwnSectionsView.as_view(), name="api-me-sections"),
    path("me/sections/<str:key>/", OwnSectionView.as_view(), name="api-me-section"),
    path("roster/imports/<uuid:job>/", ImportJobStatus.as_view(), name="api-import-job"),
    *ACCOUNTS_URLS,
    *NOTIFICATION_URLS,
    *PARTICIPATION_URLS,
    *PARTNER_URLS,
    *router.urls,
    # Anything else under /api/v1/ answers a JSON 404 like the endpoints do, not Django's HTML page.
    re_path(r"^", not_found),
]
