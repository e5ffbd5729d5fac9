"""API of partner units (共建单位): ``partner-units/`` (list, POST to register), ``partner-units/{id}/``
(GET, PATCH: edit, ``active`` false deactivates), ``…/requests/`` (what is dispatched to the unit),
``…/history/``.

Scope as on the pages: the units registered in the caller's subtrees, and for a unit's contact their
own unit (read only). Out of scope: 404; visible without the change right: 403 before the body is read.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core import scope
from jiceng.core.api import error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet, history_action, with_etag
from jiceng.orgs import selectors as org_selectors
from jiceng.services.api import ServiceRequestSerializer

from . import selectors, services
from .forms import PartnerUnitFilter
from .models import PartnerKind, PartnerUnit

ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The unit's id")


class PartnerUnitSerializer(serializers.ModelSerializer):
    org = serializers.CharField(
        source="org.code", read_only=True, help_text="The registering organization's code"
    )
    org_name = serializers.CharField(source="org.name", read_only=True)
    contacts = serializers.SerializerMethodField(help_text="The contacts' user names")

    class Meta:
        model = PartnerUnit
        fields = ["id", "name", "kind", "org", "org_name", "phone", "active", "contacts"]
        read_only_fields = fields

    def get_contacts(self, unit: PartnerUnit) -> list[str]:
        return services.contacts_of(unit)


class PartnerUnitWriteSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32, help_text="The registering organization's code")
    name = serializers.CharField(max_length=services.MAX_NAME)
    kind = serializers.ChoiceField(choices=PartnerKind.choices)
    phone = serializers.CharField(max_length=services.MAX_PHONE, required=False, allow_blank=True, default="")
    contacts = serializers.ListField(
        child=serializers.CharField(max_length=150),
        max_length=services.MAX_CONTACTS,
        required=False,
        default=list,
        help_text="User names of existing accounts",
    )
    active = serializers.BooleanField(required=False, help_text="false deactivates (PATCH only)")


@extend_schema_view(
    list=extend_schema(
        summary="Partner units the caller sees",
        responses={200: PartnerUnitSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="One partner unit",
        parameters=[ID],
        responses={200: PartnerUnitSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Register a partner unit under an organization the caller may change",
        request=PartnerUnitWriteSerializer,
        responses={201: PartnerUnitSerializer, **error_responses(400, 401, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Edit a partner unit (If-Match: its ETag); active=false deactivates it",
        parameters=[ID],
        request=PartnerUnitWriteSerializer,
        responses={200: PartnerUnitSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class PartnerUnitViewSet(ScopedViewSet):
    serializer_class = PartnerUnitSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PartnerUnitFilter
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return PartnerUnit.objects.none()
        return (
            selectors.visible_units(self.request.user)
            .select_related("org")
            .prefetch_related("contacts")
            .order_by("-active", "org__path", "name", "id")
        )

    def lookup(self, key: str) -> PartnerUnit:
        return selectors.get_unit(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        unit = self.get_object()
        return with_etag(Response(self.detail_data(unit)), unit)

    def _org(self, code: str) -> Any:
        org = org_selectors.get_org(self.request.user, code=code.strip())  # 404 outside the scope
        scope.ensure(self.request.user, scope.CHANGE, org.path)
        return org

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere(scope.CHANGE)
        d = self.body(PartnerUnitWriteSerializer)
        unit = services.register_unit(
            actor=request.user,
            org=self._org(d["org"]),
            name=d["name"],
            kind=d["kind"],
            phone=d["phone"],
            contacts=d["contacts"],
        )
        return self.detail_response(unit, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        unit = self.allowed(scope.CHANGE)
        d = self.body(PartnerUnitWriteSerializer, partial=True)
        active = d.pop("active", None)
        if not d and active is None:
            raise ValidationError(_("没有要修改的内容"), code="empty")
        if d:
            unit = services.update_unit(
                actor=request.user,
                unit=unit,
                org=self._org(d["org"]) if "org" in d else None,
                name=d.get("name", unit.name),
                kind=d.get("kind", unit.kind),
                phone=d.get("phone", unit.phone),
                contacts=d["contacts"] if "contacts" in d else services.contacts_of(unit),
                version=self.if_match(),
            )
        if active is not None and active != unit.active:
            unit = services.set_active(actor=request.user, unit=unit, active=active)
        return self.detail_response(unit)

    @extend_schema(
        summary="Requests dispatched to the unit (responsible or co-handling) that the caller sees",
        parameters=[ID],
        responses={200: ServiceRequestSerializer(many=True), **error_responses(401, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def requests(self, request: Request, **kwargs: Any) -> Response:
        page = self.paginate_queryset(selectors.dispatched(request.user, self.get_object()))
        return self.get_paginated_response(ServiceRequestSerializer(page, many=True).data)

    history = history_action(summary="The unit's change records", parameters=[ID])


ROUTES = [("partner-units", PartnerUnitViewSet, "api-partner-unit")]
