"""The public page of a topic (no account): the notice, the meeting's decision, the accountability
tree with its dated updates, and residents' word on each update (carried out, partly, not).

Nothing personal on it: no minutes, no participants' names, no phone numbers; owners are named by
organization or unit. Comments are limited per client address exactly as the public request page
limits submissions (``services.public``: a keyed digest of ``core.access.client_ip``, the settings
``SERVICE_INTAKE_CAPTCHA_AFTER`` and ``SERVICE_INTAKE_LIMIT`` per hour, a honeypot, the signed
arithmetic question); the topic's organization hides a comment with a recorded reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiceng.core.access import client_ip
from jiceng.core.forms import add_service_errors
from jiceng.services.public import captcha_after, intake_limit
from jiceng.services.services import address_digest

from . import selectors, services
from .forms import CommentForm


@never_cache
@require_http_methods(["GET", "POST"])
def topic(request: HttpRequest, pk: int) -> HttpResponse:
    t = selectors.get_public_topic(pk)
    digest = address_digest(client_ip(request))
    recent = selectors.recent_comments_from(digest, since=timezone.now() - dt.timedelta(hours=1))
    captcha = recent >= captcha_after()
    posted: CommentForm | None = None
    posted_update = None
    if request.method == "POST":
        if recent >= intake_limit():
            response = render(request, "consultation/public/limited.html", {"topic": t}, status=429)
            response["Retry-After"] = "3600"
            return response
        text = request.POST.get("update", "")
        if not text.isdigit() or len(text) > 12:
            return HttpResponse(status=400)
        posted_update = selectors.public_update(t, int(text))
        posted = CommentForm(request.POST, prefix=f"u{posted_update.pk}", captcha=captcha)
        if posted.robot:
            return render(request, "consultation/public/limited.html", {"topic": t}, status=400)
        if posted.is_valid():
            try:
                services.comment(
                    update=posted_update,
                    verdict=posted.cleaned_data["verdict"],
                    text=posted.cleaned_data["text"],
                    client_address=client_ip(request),
                )
            except ValidationError as error:
                add_service_errors(posted, error)
            else:
                messages.success(request, _("感谢您的评价"))
                return redirect(reverse("consultation_public:topic", args=[t.pk]) + f"#u{posted_update.pk}")
    tree = selectors.tree_of(t, public=True)
    for node in tree.flat():
        for u in node.item.updates.all():
            u.form = (
                posted
                if posted_update is not None and posted_update.pk == u.pk
                else CommentForm(prefix=f"u{u.pk}", captcha=captcha)
            )
            u.verdicts = selectors.verdict_counts(u)
    return render(
        request,
        "consultation/public/topic.html",
        {"topic": t, "meeting": getattr(t, "meeting", None), "tree": tree},
    )


def topics_section(org: Any, year: int) -> tuple[str, dict[str, Any]] | None:
    """This app's block of the public community page (``core.registry.public_sections``): the year's
    topics of the community's subtree with a public notice, their decision and how far it is carried
    out. Nothing personal (see ``selectors.public_topics``); no block when there is no topic."""
    topics = selectors.public_topics(org, year)
    if not topics:
        return None
    return "consultation/_public_section.html", {"consultation_topics": topics}
