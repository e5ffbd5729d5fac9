"""The rule catalogue page (规则目录): every registered rule, for every signed-in user.

A secretary asks "why is this a finding?": each finding's page links here (``#rule-<code>``). The page
lists what ``jiceng rules`` lists, from the same registry: code, title, period, the parameters in force
today, the citation, how sure the source is, and what the rule checks.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import rulesets


@login_required
@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    entries = [rulesets.catalogue_entry(s) for s in rulesets.rules_in_force(day=today)]
    return render(request, "core/rules.html", {"entries": entries, "today": today})
