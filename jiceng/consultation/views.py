"""Pages of residents' consultation: thin views over selectors and services.

Scope: topics are found through the selectors (404 outside the user's view); writes need the change
right on the topic's organization (403 when visible without it), except a leaf's update, open to its
owning organization and the contacts of its owning partner unit.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jiceng.core import scope
from jiceng.core.forms import add_service_errors
from jiceng.core.generic.views import ScopedView
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgKind, UnitKind
from jiceng.partners.models import PartnerUnit
from jiceng.services.models import ServiceRequest

from . import selectors, services
from .forms import HideForm, ItemForm, MeetingForm, MilestoneForm, NoticeForm, TopicForm, UpdateForm
from .models import Item, TopicStatus


def consulting_orgs(user: Any) -> Any:
    from django.db.models import Q

    return Organization.objects.restrict(user, scope.CHANGE).filter(
        Q(unit_kind__in=(UnitKind.COMMUNITY, UnitKind.VILLAGE)) | Q(kind=OrgKind.WORKING_COMMITTEE)
    )


def _tree_root(topic: Any) -> str:
    return topic.org_path[: Organization.steplen]


def _page(request: HttpRequest, form: Any, title: str, topic: Any = None) -> HttpResponse:
    return render(request, "consultation/form.html", {"form": form, "title": title, "topic": topic})


class Index(ScopedView):
    def get(self, request: HttpRequest) -> HttpResponse:
        rows = selectors.topics(self.user)
        status = request.GET.get("status", "")
        if status in TopicStatus.values:
            rows = rows.filter(status=status)
        page = Paginator(rows, 50).get_page(request.GET.get("page"))
        return render(
            request,
            "consultation/index.html",
            {
                "rows": page,
                "status": status,
                "statuses": TopicStatus.choices,
                "can_open": consulting_orgs(self.user).exists(),
            },
        )


class TopicCreate(ScopedView):
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        orgs = consulting_orgs(self.user)
        if not orgs.exists():
            raise PermissionDenied(_("只有社区（村）或街道党组织可以发起协商议题"))
        form = TopicForm(
            request.POST or None,
            orgs=orgs,
            requests=ServiceRequest.objects.restrict(self.user, scope.CHANGE).order_by("-received_at")[:200]
            if request.method == "GET"
            else ServiceRequest.objects.restrict(self.user, scope.CHANGE),
            initial={"source": request.GET.get("source", "")},
        )
        if request.method == "POST" and form.is_valid():
            try:
                topic = services.open_topic(actor=self.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已发起协商议题"))
                return redirect("consultation:topic", pk=topic.pk)
        return _page(request, form, _("发起协商议题"))

    post = get


class TopicDetail(ScopedView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        topic = selectors.get_topic(self.user, pk)
        can_change = scope.can(self.user, scope.CHANGE, topic.org_path)
        t = selectors.tree_of(topic)
        for node in t.flat():
            node.can_update = node.leaf and services.may_update(self.user, node.item)  # type: ignore[attr-defined]
        meeting = getattr(topic, "meeting", None)
        return render(
            request,
            "consultation/topic.html",
            {
                "topic": topic,
                "meeting": meeting,
                "tree": t,
                "can_change": can_change,
                "notice_days": services.notice_days(topic.noticed_on or topic.opened_on),
                "short_notice": topic.noticed_on
                and topic.meeting_on
                and (topic.meeting_on - topic.noticed_on).days < services.notice_days(topic.noticed_on),
                "hide_form": HideForm(),
            },
        )


class NoticeView(ScopedView):
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        topic = selectors.get_topic(self.user, pk)
        services.require_change(self.user, topic)
        partners = PartnerUnit.objects.filter(org_path__startswith=_tree_root(topic), active=True)
        form = NoticeForm(request.POST or None, partners=partners)
        if request.method == "POST" and form.is_valid():
            try:
                services.publish_notice(actor=self.user, topic=topic, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已发布协商公告"))
                return redirect("consultation:topic", pk=topic.pk)
        return _page(request, form, _("发布协商公告"), topic)

    post = get


class MeetingView(ScopedView):
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        topic = selectors.get_topic(self.user, pk)
        services.require_change(self.user, topic)
        # The members of the topic's own organization (a community branch: all of them; a street: its
        # own, not its whole subtree).
        members = Member.objects.filter(org=topic.org, closed_on__isnull=True).order_by("name")
        form = MeetingForm(
            request.POST or None,
            members=members,
            initial={"held_on": topic.meeting_on, "place": topic.meeting_place},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.record_meeting(actor=self.user, topic=topic, **form.service_args())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已记录协商会议"))
                return redirect("consultation:topic", pk=topic.pk)
        return render(request, "consultation/meeting_form.html", {"form": form, "topic": topic})

    post = get


class ItemCreate(ScopedView):
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        topic = selectors.get_topic(self.user, pk)
        services.require_change(self.user, topic)
        root = _tree_root(topic)
        form = ItemForm(
            request.POST or None,
            parents=Item.objects.filter(topic=topic),
            orgs=Organization.objects.filter(path__startswith=root).order_by("path"),
            partners=PartnerUnit.objects.filter(org_path__startswith=root, active=True),
            initial={"parent": request.GET.get("parent") or None, "owner_org": topic.org_id},
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.add_item(actor=self.user, topic=topic, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已增加落实事项"))
                return redirect("consultation:topic", pk=topic.pk)
        return _page(request, form, _("增加落实事项"), topic)

    post = get


class ItemDetail(ScopedView):
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = selectors.get_item(self.user, pk)
        can_update = services.may_update(self.user, item) and not item.children.exists()
        if request.method == "POST" and not can_update:
            raise PermissionDenied(_("您没有执行此操作的权限"))
        milestones = list(item.milestones.all())
        form = UpdateForm(
            request.POST or None,
            milestones=[m for m in milestones if m.done_on is None],
            initial={"progress": item.progress},
        )
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.update_item(
                    actor=self.user,
                    item=item,
                    progress=d["progress"],
                    text=d["text"],
                    status=d["status"] or None,
                    on=d["on"],
                    milestones_done=d.get("milestones_done") or (),
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("已填写进展"))
                return redirect("consultation:item", pk=item.pk)
        return render(
            request,
            "consultation/item.html",
            {
                "item": item,
                "topic": item.topic,
                "milestones": milestones,
                "updates": item.updates.prefetch_related("comments"),
                "children": item.children.all(),
                "form": form if can_update else None,
                "milestone_form": MilestoneForm() if can_update else None,
                "can_change": scope.can(self.user, scope.CHANGE, item.topic.org_path),
                "hide_form": HideForm(),
            },
        )

    post = get


class MilestoneCreate(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = selectors.get_item(self.user, pk)
        if not services.may_update(self.user, item):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        form = MilestoneForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写节点和计划日期"))
        else:
            try:
                services.add_milestone(actor=self.user, item=item, **form.cleaned_data)
            except ValidationError as error:
                for m in error.messages:
                    messages.error(request, m)
            else:
                messages.success(request, _("已增加节点"))
        return redirect("consultation:item", pk=item.pk)


class CommentHide(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        comment = selectors.get_comment(self.user, pk)
        topic = comment.update.item.topic
        services.require_change(self.user, topic)
        form = HideForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请填写隐藏原因"))
        else:
            try:
                services.hide_comment(actor=self.user, comment=comment, reason=form.cleaned_data["reason"])
            except ValidationError as error:
                for m in error.messages:
                    messages.error(request, m)
            else:
                messages.success(request, _("已隐藏该评价"))
        return redirect(
            reverse("consultation:item", args=[comment.update.item_id]) + f"#u{comment.update_id}"
        )
