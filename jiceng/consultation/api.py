"""API of residents' consultation, under /api/v1/consultation/.

Thin: reads through ``consultation.selectors`` (404 outside the caller's view), writes through
``consultation.services`` (403 where visible but not allowed). Serializer names carry the
``Consultation`` prefix (unique across the API).

- ``consultation/topics/`` GET (``status=``), POST open a topic; ``…/{id}/`` GET (with the notice, the
  meeting and the accountability tree); ``…/{id}/notice/`` POST; ``…/{id}/meeting/`` POST (once);
  ``…/{id}/items/`` POST an item of the tree.
- ``consultation/items/{id}/`` GET; ``…/{id}/updates/`` POST a dated progress update (a leaf);
  ``…/{id}/milestones/`` POST.
- ``consultation/comments/{id}/hide/`` POST ``{reason}`` (moderation).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from jiceng.core.api import error_responses, parse_id
from jiceng.core.generic.api import ScopedViewSet
from jiceng.members.models import Member
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization
from jiceng.partners.models import PartnerUnit
from jiceng.services.models import ServiceRequest

from . import selectors, services
from .models import Comment, Group, Item, ItemStatus, Meeting, Source, Topic, TopicStatus, Update

POST = {"filter_backends": [], "pagination_class": None}


class ConsultationCommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "verdict", "text", "created_at", "hidden", "hidden_reason"]
        read_only_fields = fields


class ConsultationUpdateSerializer(serializers.ModelSerializer):
    comments = ConsultationCommentSerializer(many=True, read_only=True)

    class Meta:
        model = Update
        fields = ["id", "item", "on", "progress", "status", "text", "comments"]
        read_only_fields = fields


class ConsultationMilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(max_length=200)
    due_on = serializers.DateField()
    done_on = serializers.DateField(read_only=True, allow_null=True)


class ConsultationItemSerializer(serializers.ModelSerializer):
    owner_org = serializers.CharField(source="owner_org.code", read_only=True, allow_null=True, default=None)
    owner_partner = serializers.IntegerField(source="owner_partner_id", read_only=True, allow_null=True)
    owner_name = serializers.CharField(read_only=True)
    milestones = ConsultationMilestoneSerializer(many=True, read_only=True)
    updates = ConsultationUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "topic",
            "parent",
            "title",
            "owner_org",
            "owner_partner",
            "owner_name",
            "weight",
            "due_on",
            "progress",
            "status",
            "done_on",
            "milestones",
            "updates",
        ]
        read_only_fields = fields


class ConsultationTreeItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    parent = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    owner_name = serializers.CharField()
    weight = serializers.IntegerField()
    due_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    leaf = serializers.BooleanField()
    progress = serializers.FloatField(
        help_text="The item's progress %: a leaf's own, a parent's weighted from its children"
    )


class ConsultationMeetingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = [
            "held_on",
            "place",
            "minutes",
            "options",
            "decision",
            "representatives",
            "residents",
            "liaisons",
            "property_staff",
            "members_count",
            "others",
            "named",
            "voted",
            "votes_for",
            "votes_against",
            "votes_abstain",
        ]
        read_only_fields = fields


class ConsultationTopicSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="org.code", read_only=True)
    org_name = serializers.CharField(source="org.name", read_only=True)
    request = serializers.CharField(source="request.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Topic
        fields = [
            "id",
            "org",
            "org_name",
            "title",
            "description",
            "source",
            "request",
            "proposed_by",
            "opened_on",
            "status",
            "noticed_on",
            "meeting_on",
            "meeting_place",
            "groups",
            "decided_on",
            "done_on",
        ]
        read_only_fields = fields


class ConsultationTopicDetailSerializer(ConsultationTopicSerializer):
    notice_text = serializers.CharField(read_only=True)
    partners = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    meeting = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    tree = serializers.SerializerMethodField()

    class Meta(ConsultationTopicSerializer.Meta):
        fields = [
            *ConsultationTopicSerializer.Meta.fields,
            "notice_text",
            "partners",
            "meeting",
            "progress",
            "tree",
        ]
        read_only_fields = fields

    @extend_schema_field(ConsultationMeetingSerializer(allow_null=True))
    def get_meeting(self, topic: Topic) -> Any:
        meeting = Meeting.objects.filter(topic=topic).first()
        return ConsultationMeetingSerializer(meeting).data if meeting else None

    def _tree(self, topic: Topic) -> selectors.Tree:
        cached = getattr(topic, "_consultation_tree", None)
        if cached is None:
            cached = topic._consultation_tree = selectors.tree_of(topic)  # type: ignore[attr-defined]
        return cached

    @extend_schema_field(serializers.FloatField())
    def get_progress(self, topic: Topic) -> float:
        return self._tree(topic).progress

    @extend_schema_field(ConsultationTreeItemSerializer(many=True))
    def get_tree(self, topic: Topic) -> list[dict[str, Any]]:
        return [
            {
                "id": n.item.pk,
                "parent": n.item.parent_id,
                "title": n.item.title,
                "owner_name": n.item.owner_name,
                "weight": n.item.weight,
                "due_on": n.item.due_on,
                "status": n.item.status,
                "leaf": n.leaf,
                "progress": n.progress,
            }
            for n in self._tree(topic).flat()
        ]


class ConsultationTopicWriteSerializer(serializers.Serializer):
    org = serializers.CharField(max_length=32, help_text="组织编码 of the community or street")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    source = serializers.ChoiceField(choices=Source.choices)
    request = serializers.CharField(
        max_length=16, required=False, allow_blank=True, default="", help_text="受理编号"
    )
    proposed_by = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    opened_on = serializers.DateField(required=False, allow_null=True)


class ConsultationNoticeSerializer(serializers.Serializer):
    noticed_on = serializers.DateField(required=False, allow_null=True)
    meeting_on = serializers.DateField()
    meeting_place = serializers.CharField(max_length=200)
    groups = serializers.ListField(child=serializers.ChoiceField(choices=Group.choices), max_length=10)
    partners = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=50
    )
    notice_text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConsultationMeetingWriteSerializer(serializers.Serializer):
    held_on = serializers.DateField()
    place = serializers.CharField(max_length=200)
    minutes = serializers.CharField(max_length=5000)
    options = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    decision = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    counts = serializers.DictField(child=serializers.IntegerField(min_value=0), help_text="人数 by group")
    named = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    members = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=500
    )
    votes = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        allow_null=True,
        default=None,
        help_text="votes_for, votes_against, votes_abstain; null when no vote was taken",
    )


class ConsultationItemWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    parent = serializers.IntegerField(required=False, allow_null=True)
    owner_org = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    owner_partner = serializers.IntegerField(required=False, allow_null=True)
    weight = serializers.IntegerField(min_value=1, max_value=100, default=1)
    due_on = serializers.DateField(required=False, allow_null=True)
    milestones = ConsultationMilestoneSerializer(many=True, required=False, default=list)


class ConsultationUpdateWriteSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, allow_null=True)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=1000)
    milestones_done = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class ConsultationHideSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


def _tree_root(topic: Topic) -> str:
    return topic.org_path[: Organization.steplen]


@extend_schema_view(
    list=extend_schema(
        summary="协商议题",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=TopicStatus.values, description="状态")
        ],
        responses={200: ConsultationTopicSerializer(many=True), **error_responses(401)},
    ),
    retrieve=extend_schema(
        summary="一个协商议题（公告、会议、落实事项树）",
        responses={200: ConsultationTopicDetailSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="发起协商议题",
        request=ConsultationTopicWriteSerializer,
        responses={201: ConsultationTopicDetailSerializer, **error_responses(400, 401, 403, 404)},
    ),
    notice=extend_schema(
        summary="发布协商公告",
        request=ConsultationNoticeSerializer,
        responses={200: ConsultationTopicDetailSerializer, **error_responses(400, 401, 403, 404)},
    ),
    meeting=extend_schema(
        summary="记录协商会议（一次）",
        request=ConsultationMeetingWriteSerializer,
        responses={201: ConsultationTopicDetailSerializer, **error_responses(400, 401, 403, 404)},
    ),
    items=extend_schema(
        summary="增加落实事项",
        request=ConsultationItemWriteSerializer,
        responses={201: ConsultationItemSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class TopicViewSet(ScopedViewSet):
    serializer_class = ConsultationTopicSerializer
    detail_serializer_class = ConsultationTopicDetailSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        rows = selectors.topics(self.request.user)
        wanted = self.request.query_params.get("status", "")
        return rows.filter(status=wanted) if wanted in TopicStatus.values else rows

    def lookup(self, key: str) -> Topic:
        return selectors.get_topic(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.detail_data(self.get_object()))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.ensure_anywhere()
        data = self.body(ConsultationTopicWriteSerializer)
        org = org_selectors.get_org(request.user, code=data.pop("org")[:32])
        code = data.pop("request")
        req = None
        if code:
            req = ServiceRequest.objects.restrict(request.user).filter(code=code).first()
            if req is None:
                from django.http import Http404

                raise Http404
        topic = services.open_topic(actor=request.user, org=org, request=req, **data)
        return Response(self.detail_data(topic), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], **POST)
    def notice(self, request: Request, **kwargs: Any) -> Response:
        topic = self.get_object()
        services.require_change(request.user, topic)
        data = self.body(ConsultationNoticeSerializer)
        ids = data.pop("partners")
        partners = list(PartnerUnit.objects.filter(pk__in=ids, org_path__startswith=_tree_root(topic)))
        if len(partners) != len(set(ids)):
            from django.core.exceptions import ValidationError

            raise ValidationError({"partners": [_("只能选择本辖区在册的共建单位")]})
        topic = services.publish_notice(actor=request.user, topic=topic, partners=partners, **data)
        return Response(self.detail_data(topic))

    @action(detail=True, methods=["post"], **POST)
    def meeting(self, request: Request, **kwargs: Any) -> Response:
        topic = self.get_object()
        services.require_change(request.user, topic)
        data = self.body(ConsultationMeetingWriteSerializer)
        ids = data.pop("members")
        members = list(Member.objects.filter(pk__in=ids, org_path__startswith=_tree_root(topic)))
        if len(members) != len(set(ids)):
            from django.core.exceptions import ValidationError

            raise ValidationError({"members": [_("只能选择本辖区的党员")]})
        services.record_meeting(actor=request.user, topic=topic, members=members, **data)
        return Response(
            self.detail_data(selectors.get_topic(request.user, topic.pk)), status=status.HTTP_201_CREATED
        )

    @action(detail=True, methods=["post"], **POST)
    def items(self, request: Request, **kwargs: Any) -> Response:
        from django.http import Http404

        topic = self.get_object()
        services.require_change(request.user, topic)
        data = self.body(ConsultationItemWriteSerializer)
        root = _tree_root(topic)
        parent = owner_org = owner_partner = None
        if data.get("parent"):
            parent = Item.objects.filter(topic=topic, pk=data["parent"]).first()
            if parent is None:
                raise Http404
        if data.get("owner_org"):
            owner_org = Organization.objects.filter(
                code=data["owner_org"][:32], path__startswith=root
            ).first()
            if owner_org is None:
                raise Http404
        if data.get("owner_partner"):
            owner_partner = PartnerUnit.objects.filter(
                pk=data["owner_partner"], org_path__startswith=root
            ).first()
            if owner_partner is None:
                raise Http404
        item = services.add_item(
            actor=request.user,
            topic=topic,
            title=data["title"],
            parent=parent,
            owner_org=owner_org,
            owner_partner=owner_partner,
            weight=data["weight"],
            due_on=data.get("due_on"),
            milestones=[(m["title"], m["due_on"]) for m in data["milestones"]],
        )
        return Response(ConsultationItemSerializer(item).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    retrieve=extend_schema(
        summary="一个落实事项（节点、进展、居民评价）",
        responses={200: ConsultationItemSerializer, **error_responses(401, 404)},
    ),
    updates=extend_schema(
        summary="填写落实进展（末级事项；议题所属组织、责任组织或责任单位联系人）",
        request=ConsultationUpdateWriteSerializer,
        responses={201: ConsultationUpdateSerializer, **error_responses(400, 401, 403, 404)},
    ),
    milestones=extend_schema(
        summary="增加节点",
        request=ConsultationMilestoneSerializer,
        responses={201: ConsultationMilestoneSerializer, **error_responses(400, 401, 403, 404)},
    ),
)
class ItemViewSet(ScopedViewSet):
    """Items are listed through their topic (``topics/{id}/``): the list here is always empty."""

    serializer_class = ConsultationItemSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return Item.objects.none()

    def lookup(self, key: str) -> Item:
        return selectors.get_item(self.request.user, parse_id(key))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def _updater(self) -> Item:
        item = self.get_object()
        if not services.may_update(self.request.user, item):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        return item

    @action(detail=True, methods=["post"], **POST)
    def updates(self, request: Request, **kwargs: Any) -> Response:
        item = self._updater()
        data = self.body(ConsultationUpdateWriteSerializer)
        update = services.update_item(
            actor=request.user,
            item=item,
            progress=data["progress"],
            text=data["text"],
            status=data["status"] or None,
            on=data.get("on"),
            milestones_done=data["milestones_done"],
        )
        return Response(ConsultationUpdateSerializer(update).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], **POST)
    def milestones(self, request: Request, **kwargs: Any) -> Response:
        item = self._updater()
        data = self.body(ConsultationMilestoneSerializer)
        m = services.add_milestone(actor=request.user, item=item, **data)
        return Response(ConsultationMilestoneSerializer(m).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    hide=extend_schema(
        summary="隐藏居民评价（议题所属组织，记录原因）",
        request=ConsultationHideSerializer,
        responses={200: ConsultationCommentSerializer, **error_responses(400, 401, 403, 404)},
    )
)
class CommentViewSet(ScopedViewSet):
    serializer_class = ConsultationCommentSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> Any:
        return Comment.objects.none()

    def lookup(self, key: str) -> Comment:
        return selectors.get_comment(self.request.user, parse_id(key))

    @action(detail=True, methods=["post"], **POST)
    def hide(self, request: Request, **kwargs: Any) -> Response:
        comment = self.get_object()
        services.require_change(request.user, comment.update.item.topic)
        data = self.body(ConsultationHideSerializer)
        comment = services.hide_comment(actor=request.user, comment=comment, reason=data["reason"])
        return Response(ConsultationCommentSerializer(comment).data)


ROUTES = [
    ("consultation/topics", TopicViewSet, "api-consultation-topic"),
    ("consultation/items", ItemViewSet, "api-consultation-item"),
    ("consultation/comments", CommentViewSet, "api-consultation-comment"),
]
