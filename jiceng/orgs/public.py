"""The public community page (社区公开页): what a community's or village's organizations do for
residents, readable without an account, at ``/community/<code>/``.

The page itself shows the organization's name and the year; everything else comes from the blocks the
domain apps register in ``core.registry.public_sections`` (``register_public_section(key, order,
render)``, ``render(org, year) -> (template_name, context) | None``). A block reads only what may be
public: no names of people, no phone numbers.

Abuse: reads are counted per client address (``core.access.client_ip``; only a keyed digest of the
address is kept, in the cache, for a minute): beyond ``PUBLIC_PAGE_LIMIT`` a minute (default 60) the
address gets 429 with ``Retry-After`` until the minute is over. Nothing is loaded from elsewhere.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from jiceng.core import crypto, registry
from jiceng.core.access import client_ip

from .models import Organization

PUBLIC_KINDS = ("community", "village")
FIRST_YEAR = 2000


def page_limit() -> int:
    return int(getattr(settings, "PUBLIC_PAGE_LIMIT", 60))


def too_many(request: HttpRequest) -> bool:
    """Count this read against the client address's minute; True beyond the limit."""
    address = client_ip(request) or "unknown"
    minute = int(time.time() // 60)
    key = f"jc-public:{crypto.digest('public-page:' + address)[:32]}:{minute}"
    cache.add(key, 0, timeout=70)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=70)
        count = 1
    return count > page_limit()


def public_org(code: str) -> Organization:
    code = (code or "").strip()
    if not code or len(code) > 32 or not code.isascii():
        raise Http404
    org = Organization.objects.filter(code=code, unit_kind__in=PUBLIC_KINDS).first()
    if org is None:
        raise Http404
    return org


def _year(request: HttpRequest) -> int:
    this_year = timezone.localdate().year
    text = request.GET.get("year", "")
    if text.isascii() and text.isdigit() and len(text) == 4 and FIRST_YEAR <= int(text) <= this_year:
        return int(text)
    return this_year


@require_GET
def community(request: HttpRequest, code: str) -> HttpResponse:
    if too_many(request):
        response = render(request, "orgs/public/limited.html", status=429)
        response["Retry-After"] = "60"
        return response
    org = public_org(code)
    year = _year(request)
    this_year = timezone.localdate().year
    context = {
        "org": org,
        "year": year,
        "years": list(range(this_year, max(FIRST_YEAR, this_year - 4) - 1, -1)),
        "sections": registry.public_sections_for(org, year),
    }
    return render(request, "orgs/public/community.html", context)
