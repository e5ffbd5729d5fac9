"""Pages of assessment (考核): thin views over selectors and services.

Scope: schemes and runs through ``selectors.get_scheme`` / ``get_run`` (404 unless the user may view
the committee or an organization under it), a result through ``selectors.get_result`` (404 unless the
user may view that organization); defining and running need the manage right on the committee, panel
scores the change right there (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiceng.core import scope
from jiceng.core.generic.views import ObjectDetailView, ObjectFormView, ScopedView, is_htmx
from jiceng.orgs import selectors as org_selectors
from jiceng.orgs.models import Organization

from . import definition, indicators, selectors, services
from .forms import PanelForm, RunForm, SchemeForm, grades_to_text
from .models import NoData, OrgResult, Scheme


class Index(ScopedView):
    """考核: the schemes and the runs the user may see."""

    def get(self, request: HttpRequest) -> HttpResponse:
        schemes = list(selectors.schemes(self.user).order_by("-year", "owner_path", "id")[:100])
        runs = Paginator(selectors.runs(self.user), 20).get_page(request.GET.get("page"))
        return render(
            request,
            "assessment/index.html",
            {"schemes": schemes, "runs": runs, "can_define": selectors.owners(self.user).exists()},
        )


class SchemeFormMixin:
    template_name = "assessment/scheme_form.html"

    def form_initial(self) -> dict[str, Any]:
        return {}

    def get_form(self, data: Any, files: Any) -> SchemeForm:
        return SchemeForm(data, owners=selectors.owners(self.user), initial=self.form_initial())

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        context = super().get_context_data(**extra)
        context["indicators"] = indicators.all_indicators()
        context["panel_word"] = definition.PANEL_WORDS[0]
        context["title"] = self.title
        return context

    @staticmethod
    def changes(form: SchemeForm) -> dict[str, Any]:
        d = form.cleaned_data
        return {
            "name": d["name"],
            "year": d["year"],
            "org_kind": d["org_kind"],
            "tree": d["tree_json"],
            "grading": d["grading"],
            "rank_siblings": d["rank_siblings"],
            "no_data": d["no_data"],
        }


class SchemeCreate(SchemeFormMixin, ObjectFormView):
    title = gettext_lazy("新建考核方案")
    rename = {"definition": "tree", "grading": "grades"}

    def lookup(self, **kwargs: Any) -> None:
        if not selectors.owners(self.user).exists():
            raise PermissionDenied(_("只有上级党组织的组织管理员可以制定考核方案"))
        return None

    def form_initial(self) -> dict[str, Any]:
        from django.utils import timezone

        return {"year": timezone.localdate().year}

    def perform(self, form: SchemeForm) -> tuple[Scheme, str]:
        scheme = services.create_scheme(
            actor=self.user, owner=form.cleaned_data["owner"], **self.changes(form)
        )
        return scheme, _("已保存考核方案（第1版）")


class SchemeEdit(SchemeFormMixin, ObjectFormView):
    title = gettext_lazy("修改考核方案")
    action = scope.MANAGE
    rename = {"definition": "tree", "grading": "grades"}

    def lookup(self, pk: int) -> Scheme:
        return selectors.get_scheme(self.user, pk)

    def form_initial(self) -> dict[str, Any]:
        s = self.object
        return {
            "owner": s.owner.code,
            "name": s.name,
            "year": s.year,
            "org_kind": s.org_kind,
            "tree": definition.to_text(s.definition),
            "total": s.definition["total"],
            "method": s.grading["method"],
            "grades": grades_to_text(s.grading),
            "rank_siblings": s.rank_siblings,
            "no_data": s.no_data,
        }

    def get_form(self, data: Any, files: Any) -> SchemeForm:
        form = super().get_form(data, files)
        form.fields["owner"].disabled = True
        form.fields["owner"].queryset = Organization.objects.filter(pk=self.object.owner_id)
        return form

    def perform(self, form: SchemeForm) -> tuple[Scheme, str]:
        scheme = services.update_scheme(actor=self.user, scheme=self.object, **self.changes(form))
        return scheme, _("已保存为第%(n)d版；此前的考核结果仍按原版本保留") % {"n": scheme.version}


class SchemeDetail(ObjectDetailView):
    template_name = "assessment/scheme.html"
    history = True

    def lookup(self, pk: int) -> Scheme:
        return selectors.get_scheme(self.user, pk)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        s = self.object
        names = {i.key: i.title for i in indicators.all_indicators()}
        rows = [
            (depth, n, names.get(n.get("indicator", ""), "")) for depth, n in definition.flat(s.definition)
        ]
        return super().get_context_data(
            rows=rows,
            runs=selectors.runs(self.user).filter(scheme=s)[:20],
            versions=s.versions.all()[:20],
            panel=selectors.panel_scores(self.user, s)[:500],
            can_manage=selectors.can_manage(self.user, s),
            can_score=selectors.can_score(self.user, s)
            and any(n["kind"] == definition.PANEL for n in definition.leaves(s.definition)),
            run_form=RunForm(),
            **extra,
        )


class RunCreate(ObjectFormView):
    """运行考核: record a run of the scheme's current version and compute it (or queue it)."""

    template_name = "assessment/run_form.html"
    action = scope.MANAGE
    denied = gettext_lazy("只有制定方案的组织的组织管理员可以运行考核")

    def lookup(self, pk: int) -> Scheme:
        return selectors.get_scheme(self.user, pk)

    def get_form(self, data: Any, files: Any) -> RunForm:
        return RunForm(data)

    def perform(self, form: RunForm) -> tuple[Any, str]:
        run = services.start_run(actor=self.user, scheme=self.object, as_of=form.cleaned_data.get("as_of"))
        if run.finished:
            return run, _("考核已完成：%(n)d个组织") % {"n": run.results.count()}
        return run, _("考核已开始在后台计算，本页显示进度")


class PanelScores(ObjectFormView):
    """评议打分: the committee's panel scores a panel node of an organization, with its reason."""

    template_name = "assessment/panel.html"
    action = scope.CHANGE
    denied = gettext_lazy("只有制定方案的组织可以评议打分")

    def lookup(self, pk: int) -> Scheme:
        return selectors.get_scheme(self.user, pk)

    def orgs(self) -> Any:
        s = self.object
        return (
            Organization.objects.restrict(self.user)
            .filter(path__startswith=s.owner_path, kind=s.org_kind)
            .exclude(path=s.owner_path)
            .order_by("path")
        )

    def get_form(self, data: Any, files: Any) -> PanelForm:
        nodes = [
            (n["key"], f"{n['key']} {n['name']}（{n['weight']}）")
            for n in definition.leaves(self.object.definition)
            if n["kind"] == definition.PANEL
        ]
        return PanelForm(
            data, orgs=self.orgs(), nodes=nodes, initial={"org": self.request.GET.get("org", "")}
        )

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        return super().get_context_data(panel=selectors.panel_scores(self.user, self.object)[:500], **extra)

    def perform(self, form: PanelForm) -> tuple[Any, str]:
        org = self.orgs().get(code=form.cleaned_data["org"])
        services.score_by_panel(
            actor=self.user,
            scheme=self.object,
            node_key=form.cleaned_data["node_key"],
            org=org,
            points=form.cleaned_data["points"],
            justification=form.cleaned_data["justification"],
        )
        return self.object, _("已保存%(org)s的评议得分") % {"org": org.name}

    def success_url(self, landing: Any) -> str:
        return reverse("assessment:panel", kwargs={"pk": landing.pk})


class RunDetail(ObjectDetailView):
    """The results of a run for a subtree (``?org=<code>``), best first; the progress while it runs."""

    template_name = "assessment/run.html"

    def lookup(self, pk: int) -> Any:
        return selectors.get_run(self.user, pk)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        run = self.object
        code = request.GET.get("org", "").strip()
        under = org_selectors.get_org(self.user, code=code) if code else None
        page = Paginator(selectors.results(self.user, run, under=under), 50).get_page(request.GET.get("page"))
        context = self.get_context_data(
            results=page,
            under=under,
            grades=run.version.grading["grades"],
            tally=_grade_tally(selectors.results(self.user, run, under=under)),
        )
        if is_htmx(request):
            # The progress polls; once the run is done the whole page is loaded again.
            if run.finished:
                return HttpResponse(headers={"HX-Refresh": "true"})
            return render(request, "assessment/_progress.html", context)
        return render(request, self.template_name, context)


def _grade_tally(qs: Any) -> list[tuple[str, int]]:
    from django.db.models import Count

    counts = dict(qs.order_by().values_list("grade").annotate(n=Count("id")))
    return [(g or _("未定级"), n) for g, n in sorted(counts.items(), key=lambda kv: (kv[0] == "", kv[0]))]


class ResultDetail(ObjectDetailView):
    """One organization's score: every node's value and points, the records each came from (links),
    and the parameters of the run."""

    template_name = "assessment/result.html"

    def lookup(self, pk: int) -> OrgResult:
        return selectors.get_result(self.user, pk)

    def get_context_data(self, **extra: Any) -> dict[str, Any]:
        r = self.object
        tree = r.run.version.definition
        names = {i.key: i.title for i in indicators.all_indicators()}
        traces = selectors.trace(r)
        rows = []
        for depth, n in definition.flat(tree):
            rows.append(
                {
                    "depth": depth,
                    "node": n,
                    "indicator": names.get(n.get("indicator", ""), ""),
                    "value": r.values.get(n["key"], {}),
                    "trace": traces.get(n["key"]),
                }
            )
        no_data = dict(NoData.choices).get(r.run.params.get("no_data", ""), "")
        return super().get_context_data(rows=rows, run=r.run, tree=tree, no_data_label=no_data, **extra)
