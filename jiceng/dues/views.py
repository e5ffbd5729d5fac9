"""Pages of the dues ledger (党费): thin views over selectors and services.

Scope: a branch or organization is looked up by code among those the user may view (404 otherwise), a
member among the members the user may view; every write needs the change right on the branch (403).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.core.forms import add_service_errors
from jiceng.core.generic.views import ScopedView, is_htmx
from jiceng.core.periods import PeriodError, parse
from jiceng.members.selectors import own_member

from . import exports, forms, rules, selectors, services
from .models import Hardship, IncomeBase


def _month(request: HttpRequest, today: dt.date) -> dt.date:
    text = request.GET.get("month", "")
    if not text:
        return rules.month_start(today)
    try:
        day = dt.datetime.strptime(text[:7], "%Y-%m").date()
    except ValueError:
        raise Http404 from None
    if not 1921 <= day.year <= 2999:
        raise Http404
    return day


class Index(ScopedView):
    """党费: the report of the user's first organization, or a member's own dues."""

    def get(self, request: HttpRequest) -> HttpResponse:
        roots = scope.paths_for(self.user, scope.VIEW)
        if roots:
            from jiceng.orgs.models import Organization

            org = Organization.objects.filter(path=roots[0]).first()
            if org is not None:
                return redirect("dues:report", code=org.code)
        member = own_member(self.user)
        if member is not None:
            return redirect("dues:member", pk=member.pk)
        raise Http404


def _sheet_context(request: HttpRequest, branch: Any, month: dt.date, **extra: Any) -> dict[str, Any]:
    user = request.user
    rows = selectors.month_sheet(user, branch, month)
    unpaid = [r for r in rows if not r.line.settled]
    return {
        "branch": branch,
        "month": month,
        "month_label": month.strftime("%Y-%m"),
        "previous": rules.add_months(month, -1).strftime("%Y-%m"),
        "next": rules.add_months(month, 1).strftime("%Y-%m"),
        "rows": rows,
        "unpaid_count": len(unpaid),
        "paid_count": sum(1 for r in rows if r.line.paid),
        "due_total": sum((r.line.due for r in rows if r.line.owes), start=rules.money(0)),
        "paid_total": sum((r.line.payment.amount for r in rows if r.line.payment), start=rules.money(0)),
        "can_change": scope.can(user, scope.CHANGE, branch.path),
        "setting": selectors.setting_of(branch),
        "today": timezone.localdate(),
        "mark_form": extra.pop("mark_form", None)
        or forms.MarkPaidForm(
            initial={"month": month.strftime("%Y-%m"), "paid_on": timezone.localdate(), "method": "cash"}
        ),
        **extra,
    }


class Sheet(ScopedView):
    """A branch's month sheet: every member, the amount due, paid or not, how; mark many paid at once."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        branch = selectors.get_branch(self.user, code)
        month = _month(request, timezone.localdate())
        context = _sheet_context(request, branch, month)
        context["setting_form"] = forms.SettingForm(
            initial={
                "farmer_amount": context["setting"].farmer_amount if context["setting"] else "0.50",
                "records_since": context["setting"].records_since.strftime("%Y-%m")
                if context["setting"] and context["setting"].records_since
                else "",
            }
        )
        return render(request, "dues/sheet.html", context)


class MarkPaid(ScopedView):
    """Mark the ticked members paid for the month at the amount due (all or nothing); htmx swaps the sheet."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        branch = selectors.get_branch(self.user, code)
        scope.ensure(self.user, scope.CHANGE, branch.path)
        form = forms.MarkPaidForm(request.POST)
        month = rules.month_start(timezone.localdate())
        if form.is_valid():
            month = form.cleaned_data["month"]
            members = services.members_of(branch, request.POST.getlist("member"))
            if not members:
                form.add_error(None, _("请勾选要登记的党员"))
            else:
                try:
                    done = services.mark_paid(
                        actor=self.user,
                        branch=branch,
                        members=members,
                        month=month,
                        paid_on=form.cleaned_data["paid_on"],
                        method=form.cleaned_data["method"],
                        receipt_number=form.cleaned_data["receipt_number"],
                    )
                except ValidationError as e:
                    add_service_errors(form, e)
                else:
                    messages.success(request, _("已登记%(n)d人的党费") % {"n": len(done)})
                    if not is_htmx(request):
                        return redirect(
                            reverse("dues:sheet", kwargs={"code": code}) + f"?month={month:%Y-%m}"
                        )
                    form = None
        context = _sheet_context(request, branch, month, mark_form=form)
        template = "dues/sheet.html#sheet" if is_htmx(request) else "dues/sheet.html"
        status = 200 if form is None or not form.errors else 400
        if is_htmx(request):
            status = 200  # htmx swaps only 2xx: the errors show in the fragment
        return render(request, template, context, status=status)


class FixYear(ScopedView):
    """年初核定: fix every member's monthly amount for the year."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        branch = selectors.get_branch(self.user, code)
        scope.ensure(self.user, scope.CHANGE, branch.path)
        text = request.POST.get("year", "")
        year = int(text) if text.isdigit() and len(text) == 4 else timezone.localdate().year
        try:
            result = services.fix_year(actor=self.user, branch=branch, year=year)
        except ValidationError as e:
            messages.error(request, "；".join(e.messages))
        else:
            messages.success(
                request,
                _("%(year)s年党费已核定：新增%(c)d条，更新%(u)d条")
                % {"year": year, "c": result.created, "u": result.updated},
            )
        return redirect(reverse("dues:sheet", kwargs={"code": code}) + f"?month={year}-01")


class Settings(ScopedView):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        branch = selectors.get_branch(self.user, code)
        scope.ensure(self.user, scope.CHANGE, branch.path)
        form = forms.SettingForm(request.POST)
        if form.is_valid():
            try:
                services.set_farmer_amount(
                    actor=self.user,
                    branch=branch,
                    amount=form.cleaned_data["farmer_amount"],
                    decided_on=form.cleaned_data["decided_on"],
                    records_since=form.cleaned_data["records_since"],
                )
            except ValidationError as e:
                messages.error(request, "；".join(e.messages))
            else:
                messages.success(request, _("支部党费设置已保存"))
        else:
            messages.error(request, "；".join(str(m) for errs in form.errors.values() for m in errs))
        return redirect("dues:sheet", code=code)


WRITE_FORMS = {
    "base": forms.BaseForm,
    "payment": forms.PaymentForm,
    "extra": forms.ExtraForm,
    "hardship": forms.HardshipForm,
    "consent": forms.ConsentForm,
}


ONE_FIELD_FORMS = {"approve": forms.ApproveForm, "confirm": forms.ConfirmForm, "own_base": forms.BaseForm}


def _member_context(request: HttpRequest, member: Any, **bound: Any) -> dict[str, Any]:
    user = request.user
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 1921), 2999)
    see = selectors.can_see_bases(user, member)
    lines = selectors.member_ledger(member, year, today)
    rows = [(line, line.explanation if see else selectors.masked_explanation(line)) for line in lines]
    can_change = scope.can(user, scope.CHANGE, member.org_path)
    write_forms = {k: bound.get(k) or f(prefix=k) for k, f in WRITE_FORMS.items()} if can_change else {}
    return {
        "member": member,
        "year": year,
        "rows": list(reversed(rows)),
        "see_bases": see,
        "bases": list(selectors.bases(user, member)) if see else [],
        "can_change": can_change,
        "org_visible": scope.can(user, scope.VIEW, member.org_path),
        "own_form": forms.BaseForm(prefix="own_base")
        if member.user_id == user.pk and not can_change
        else None,
        "forms": write_forms,
        **selectors.member_records(member),
    }


class MemberDues(ScopedView):
    """A member's dues: bases (masked for viewers), amounts and how they were computed, payments."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        member = selectors.get_member(self.user, pk)
        return render(request, "dues/member.html", _member_context(request, member))


class MemberWrite(ScopedView):
    """The member page's forms: a base, a payment, an extra payment, a hardship, a consent."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        member = selectors.get_member(self.user, pk)
        if kind not in WRITE_FORMS and kind not in ONE_FIELD_FORMS:
            raise Http404
        if kind == "own_base":  # the member's own base, for the branch to confirm
            if member.user_id is None or member.user_id != self.user.pk:
                raise PermissionDenied(_("只能填报本人的月收入基数"))
        elif not scope.can(self.user, scope.CHANGE, member.org_path):
            raise PermissionDenied(_("您没有执行此操作的权限"))
        form_class = ONE_FIELD_FORMS.get(kind) or WRITE_FORMS[kind]
        form = form_class(request.POST, prefix=kind)
        if form.is_valid():
            try:
                self.write(kind, member, form.cleaned_data)
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已保存"))
                return redirect("dues:member", pk=member.pk)
        if kind in ONE_FIELD_FORMS:  # a small form beside what it acts on: say why, go back
            messages.error(request, "；".join(str(m) for errs in form.errors.values() for m in errs))
            return redirect("dues:member", pk=member.pk)
        return render(
            request, "dues/member.html", _member_context(request, member, **{kind: form}), status=400
        )

    def write(self, kind: str, member: Any, d: dict[str, Any]) -> None:
        actor = self.user
        if kind == "base":
            services.record_income_base(
                actor=actor, member=member, amount=d["amount"], applies_from=d["applies_from"], note=d["note"]
            )
        elif kind == "payment":
            services.record_payment(
                actor=actor,
                member=member,
                month=d["month"],
                paid_on=d["paid_on"],
                amount=d["amount"],
                method=d["method"],
                receipt_number=d["receipt_number"],
                back_payment_reason=d["back_payment_reason"],
            )
        elif kind == "extra":
            services.record_extra_payment(
                actor=actor,
                member=member,
                amount=d["amount"],
                paid_on=d["paid_on"],
                method=d["method"],
                receipt_number=d["receipt_number"],
            )
        elif kind == "hardship":
            services.record_hardship(
                actor=actor,
                member=member,
                kind=d["kind"],
                from_month=d["from_month"],
                until_month=d["until_month"],
                reason=d["reason"],
                branch_decided_on=d["branch_decided_on"],
                committee_approved_on=d["committee_approved_on"],
                reduced_amount=d["reduced_amount"] if d["kind"] == Hardship.Kind.REDUCTION else None,
            )
        elif kind == "own_base":
            services.record_income_base(
                actor=actor,
                member=member,
                amount=d["amount"],
                applies_from=d["applies_from"],
                note=d["note"],
                by_member=True,
            )
        elif kind == "confirm":
            base = IncomeBase.objects.filter(member=member, pk=d["base"]).first()
            if base is None:
                raise ValidationError({"base": ValidationError(_("没有这项基数"), code="not_found")})
            services.confirm_income_base(actor=actor, base=base)
        elif kind == "approve":
            hardship = Hardship.objects.filter(member=member, pk=d["hardship"]).first()
            if hardship is None:
                raise ValidationError({"hardship": ValidationError(_("没有这项减免"), code="not_found")})
            services.approve_hardship(
                actor=actor, hardship=hardship, committee_approved_on=d["committee_approved_on"]
            )
        else:
            services.record_consent(
                actor=actor,
                member=member,
                kind=d["kind"],
                decided_on=d["decided_on"],
                valid_until=d["valid_until"],
                note=d["note"],
            )


def _period(request: HttpRequest, today: dt.date) -> Any:
    text = request.GET.get("period", "") or str(today.year)
    try:
        period = parse(text)
    except PeriodError:
        raise Http404 from None
    if period.kind == "day" or not 1921 <= period.start.year <= 2999:
        raise Http404
    return period


class ReportView(ScopedView):
    """A subtree's dues by month, quarter or year, by child organization, with a chart of the year."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        org = selectors.get_org(self.user, code)
        today = timezone.localdate()
        period = _period(request, today)
        r = selectors.report(org, period, today=today)
        year = parse(str(period.start.year))
        chart_report = (
            r if period.kind == "year" else selectors.report(org, year, today=today, by_child=False)
        )
        return render(
            request,
            "dues/report.html",
            {
                "org": org,
                "report": r,
                "period": period,
                "chart": selectors.report_chart(chart_report),
                "periods": [str(period.start.year), *[f"{period.start.year}-Q{q}" for q in range(1, 5)]],
                "is_branch": org.kind == "branch",
            },
        )


class ReportXlsx(ScopedView):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        org = selectors.get_org(self.user, code)
        period = _period(request, timezone.localdate())
        r = selectors.report(org, period, today=timezone.localdate())
        data = exports.report_xlsx(r)
        audit.record(
            actor=self.user,
            action=audit.Action.EXPORT,
            obj=org,
            message=_("导出党费报表（%(p)s）") % {"p": period.label},
        )
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="dues-{org.code}-{period.label}.xlsx"'
        return response


# The yearly publication of collection and use ---------------------------------------------------------------


def _year(request: HttpRequest, today: dt.date) -> int:
    text = request.GET.get("year", "") or str(today.year)
    if not (text.isdigit() and len(text) == 4 and 1921 <= int(text) <= 2999):
        raise Http404
    return int(text)


def _publication_context(request: HttpRequest, org: Any, year: int, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    can_change = scope.can(request.user, scope.CHANGE, org.path)
    return {
        "org": org,
        "pub": selectors.publication(org, year, today=today),
        "year": year,
        "years": [today.year - i for i in range(3)],
        "printed_on": today,
        "can_change": can_change,
        "use_form": (extra.pop("use_form", None) or forms.UseForm(initial={"used_on": today}))
        if can_change
        else None,
        **extra,
    }


class PublicationView(ScopedView):
    """党费收缴使用情况年度公示: a subtree's year on an A4 page (static/jiceng/print.css), with the
    form to record a use or a remittance for those who may change the organization."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        org = selectors.get_org(self.user, code)
        year = _year(request, timezone.localdate())
        return render(request, "dues/publication.html", _publication_context(request, org, year))


class UseWrite(ScopedView):
    """Record a use of the retained dues (or a remittance upward) with its approving decision."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, code: str) -> HttpResponse:
        org = selectors.get_org(self.user, code)
        scope.ensure(self.user, scope.CHANGE, org.path)
        form = forms.UseForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                use = services.record_use(
                    actor=self.user,
                    org=org,
                    kind=d["kind"],
                    used_on=d["used_on"],
                    purpose=d["purpose"],
                    amount=d["amount"],
                    decision=d["decision"],
                )
            except ValidationError as e:
                add_service_errors(form, e)
            else:
                messages.success(request, _("已保存"))
                return redirect(
                    reverse("dues:publication", kwargs={"code": code}) + f"?year={use.used_on.year}"
                )
        year = _year(request, timezone.localdate())
        context = _publication_context(request, org, year, use_form=form)
        return render(request, "dues/publication.html", context, status=400)


class PublicationXlsx(ScopedView):
    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        org = selectors.get_org(self.user, code)
        year = _year(request, timezone.localdate())
        data = exports.publication_xlsx(selectors.publication(org, year, today=timezone.localdate()))
        audit.record(
            actor=self.user,
            action=audit.Action.EXPORT,
            obj=org,
            message=_("导出党费收缴使用情况年度公示（%(year)s年）") % {"year": year},
        )
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="dues-publication-{org.code}-{year}.xlsx"'
        return response
