"""The inbox (all or unread, mark read with htmx), opening a notification, and each user's choices.

Every page shows the signed-in user's own notifications only: another user's id answers 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiceng.core import events

from . import channels, selectors, services
from .models import Channel

PAGE_SIZE = 30


def _inbox_context(request: HttpRequest) -> dict:
    unread_only = request.GET.get("show") != "all"
    page = Paginator(selectors.inbox(request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return {"page_obj": page, "unread_only": unread_only, "unread": services.unread_count(request.user)}


@never_cache
@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """我的消息: unread by default, or all (``?show=all``)."""
    return render(request, "notifications/inbox.html", _inbox_context(request))


@never_cache
@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.get_notification(request.user, pk)
    services.mark_read(user=request.user, notification_ids=[notification.pk])
    notification.refresh_from_db()
    if request.headers.get("HX-Request"):
        response = render(
            request,
            "notifications/inbox.html#item",
            {"n": notification, "unread": services.unread_count(request.user), "oob_badge": True},
        )
        return response
    return redirect("notifications:inbox")


@never_cache
@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    n = services.mark_all_read(user=request.user)
    messages.success(request, _("已将%(n)d条消息标为已读") % {"n": n})
    return redirect("notifications:inbox")


@never_cache
@login_required
@require_POST
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and follow the notification's link (a local path only)."""
    notification = selectors.get_notification(request.user, pk)
    services.mark_read(user=request.user, notification_ids=[notification.pk])
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        return redirect(link)
    return redirect("notifications:inbox")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    """通知设置: per event type and channel, and the mobile number for SMS."""
    available = channels.available()
    if request.method == "POST":
        chosen = {(t.key, c): f"{t.key}:{c}" in request.POST for t in events.event_types for c in available}
        try:
            if events.SMS in available:
                services.set_phone(user=request.user, phone=request.POST.get("phone", "")[:40])
            services.set_preferences(user=request.user, choices=chosen)
        except ValidationError as e:
            for message in e.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("通知设置已保存"))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": selectors.preferences(request.user),
            "channels": [(c, Channel(c).label) for c in available],
            "sms": events.SMS in available,
            "phone": services.phone_of(request.user),
            "email_missing": events.EMAIL in available and not request.user.email,
        },
    )
