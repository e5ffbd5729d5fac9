"""Pages of 述职评议 (the secretaries' yearly report and review): thin views over ``review``.

A round is found through ``review.get_round`` (404 unless the user may view the committee or an
organization under it), a report through ``review.get_report`` (404 unless the user may view its
organization, is its secretary, or a member of it); the evaluations and the result are shown only to
the higher committee and to the secretary (``review.sees_result``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import scope
from jiceng.core.forms import add_service_errors
from jiceng.core.generic.views import ObjectView, ScopedView

from . import review, selectors
from .forms import CommentForm, EvaluationForm, PaperForm, ReportForm, ReviewRoundForm
from .models import EvaluationSource, SecretaryReport


class Rounds(ScopedView):
    """述职评议: the rounds in sight; open one (manage right on a committee)."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        owners = selectors.owners(self.user)
        can_open = owners.exists()
        form = None
        if can_open:
            posted = request.method == "POST"
            form = ReviewRoundForm(
                request.POST if posted else None, owners=owners, initial={"year": timezone.localdate().year}
            )
            if posted and form.is_valid():
                d = form.cleaned_data
                try:
                    rnd = review.open_round(
                        actor=self.user,
                        owner=d["owner"],
                        year=d["year"],
                        org_kind=d["org_kind"],
                        grades=d["grades"],
                        committee_weight=d["committee_weight"],
                    )
                except ValidationError as e:
                    add_service_errors(form, e)
                else:
                    messages.success(
                        request, _("述职评议已开始：%(n)d份述职报告") % {"n": rnd.reports.count()}
                    )
                    return redirect(rnd.get_absolute_url())
        elif request.method == "POST":
            raise PermissionDenied(_("只有上级党组织的组织管理员可以组织述职评议"))
        return render(
            request,
            "assessment/review_rounds.html",
            {"rounds": review.rounds(self.user)[:50], "form": form},
        )

    post = get


class RoundDetail(ObjectView):
    template_name = "assessment/review_round.html"

    def lookup(self, pk: int) -> Any:
        return review.get_round(self.user, pk)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        rnd = self.object
        rows = [
            (r, review.sees_result(self.user, r)) for r in review.reports(self.user, rnd).order_by("org_path")
        ]
        return render(request, self.template_name, {"object": rnd, "rows": rows})


class ReportDetail(ObjectView):
    """The report: its facts, the text (the secretary writes and submits it), the evaluations (the
    higher committee, the members), the comment and the combined result for those who may see it."""

    template_name = "assessment/report.html"
    http_method_names = ["get", "post"]

    def lookup(self, pk: int) -> SecretaryReport:
        return review.get_report(self.user, pk)

    def forms(self, data: Any = None, op: str = "") -> dict[str, Any]:
        r, user = self.object, self.user
        grades = r.round.grades
        mine = {e.source: e for e in r.evaluations.filter(evaluator=user)}
        out: dict[str, Any] = {}
        if review.may_write(user, r):
            out["report_form"] = ReportForm(
                data if op in ("write", "submit") else None, initial={"text": r.text}
            )
        if scope.can(user, scope.CHANGE, r.round.owner_path):
            c = mine.get(EvaluationSource.COMMITTEE)
            out["committee_form"] = EvaluationForm(
                data if op == "committee" else None,
                grades=grades,
                prefix="committee",
                initial={"grade": c.grade, "comment": c.comment} if c else None,
            )
            out["comment_form"] = CommentForm(
                data if op == "comment" else None, initial={"comment": r.comment}
            )
        if r.submitted_at is not None and review.may_enter_paper(user, r):
            out["paper_form"] = PaperForm(
                data if op == "paper" else None,
                grades=grades,
                counts=dict(r.paper_tallies.values_list("grade", "count")),
                prefix="paper",
            )
            out["paper_voters"] = review.paper_voters(r)
        if review.is_member_of(user, r.org) and r.secretary_user_id != user.pk:
            m = mine.get(EvaluationSource.MEMBER)
            out["member_form"] = EvaluationForm(
                data if op == "member" else None,
                grades=grades,
                prefix="member",
                initial={"grade": m.grade} if m else None,
            )
        return out

    def render_page(self, request: HttpRequest, forms: dict[str, Any], status: int = 200) -> HttpResponse:
        r = self.object
        sees = review.sees_result(self.user, r)
        context = {
            "object": r,
            "sees_result": sees,
            "evaluations": r.evaluations.select_related("evaluator").order_by("source", "at") if sees else [],
            "paper": r.paper_tallies.select_related("entered_by") if sees else [],
            **forms,
        }
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        return self.render_page(request, self.forms())

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        op = request.POST.get("op", "")
        forms = self.forms(request.POST, op)
        key = {
            "write": "report_form",
            "submit": "report_form",
            "committee": "committee_form",
            "member": "member_form",
            "comment": "comment_form",
            "paper": "paper_form",
        }.get(op)
        form = forms.get(key) if key else None
        if form is None:
            raise PermissionDenied(_("您没有执行此操作的权限"))
        if form.is_valid():
            d, r = form.cleaned_data, self.object
            try:
                if op in ("write", "submit"):
                    review.write_report(actor=self.user, report=r, text=d["text"], submit=op == "submit")
                elif op == "paper":
                    review.enter_paper(actor=self.user, report=r, counts=form.counts())
                elif op in ("committee", "member"):
                    review.evaluate(
                        actor=self.user, report=r, source=op, grade=d["grade"], comment=d["comment"]
                    )
                else:
                    review.comment(actor=self.user, report=r, text=d["comment"])
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已保存"))
                return redirect(r.get_absolute_url())
        return self.render_page(request, forms)


class ReportPrint(ObjectView):
    """The report on A4: facts, text, and (for those who may see them) the evaluations and result."""

    template_name = "assessment/report_print.html"

    def lookup(self, pk: int) -> SecretaryReport:
        return review.get_report(self.user, pk)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        r = self.object
        sees = review.sees_result(self.user, r)
        counts: dict[tuple[str, str], int] = {}
        if sees:
            for source, grade in r.evaluations.values_list("source", "grade"):
                counts[(source, grade)] = counts.get((source, grade), 0) + 1
            for grade, n in r.paper_tallies.values_list("grade", "count"):
                key = (EvaluationSource.MEMBER, grade)
                counts[key] = counts.get(key, 0) + n
        tally = [
            (label, [counts.get((s, g["label"]), 0) for g in r.round.grades])
            for s, label in EvaluationSource.choices
        ]
        return render(
            request,
            self.template_name,
            {"object": r, "sees_result": sees, "tally": tally, "printed_on": timezone.localdate()},
        )
