"""This app's part of ``jiceng demo``: the street committee's star-rating scheme (星级评定) for its
branches, a panel's scores with their reasons, and the year's run (results with every trace).

The year assessed is the one that holds most of the demo's twelve months of records: the current year
from July on (counted to today), else the year before (to 31 December)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext, gettext_noop

from jiceng.core.registry import DemoTown
from jiceng.orgs.models import Organization, OrgKind

from . import definition, services
from .models import Scheme

TREE_TEXT = """\
组织生活 | 35
  三会一课按月落实 | 25 | life.months_complete
  组织生活质量（评议） | 10 | 评议
任务落实 | 20 | tasks.on_time
服务群众 | 25
  诉求响应率 | 10 | services.response_rate
  诉求解决率 | 10 | services.resolution_rate
  群众满意率 | 5 | services.satisfaction_rate
党员队伍 | 20
  发展党员问题整改 | 8 | development.findings_resolved
  班子按期换届 | 7 | orgs.committee_in_term
  党费收缴率 | 5 | dues.collection_rate"""

REASONS = (
    gettext_noop("会议记录完整，主题党日结合社区治理开展，党员参与积极"),
    gettext_noop("组织生活按时开展，但会议记录较简略，研讨深度有待提高"),
    gettext_noop("组织生活形式单一，部分会议未形成决议，需加强"),
)


def present() -> bool:
    return Scheme.objects.exists()


def assessed_year(today: dt.date) -> tuple[int, dt.date]:
    if today.month >= 7:
        return today.year, today
    return today.year - 1, dt.date(today.year - 1, 12, 31)


def load(town: DemoTown) -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None or root.kind == OrgKind.BRANCH:
        return
    year, as_of = assessed_year(town.today)
    scheme = services.create_scheme(
        actor=town.actor,
        owner=root,
        name=gettext("党支部星级评定"),
        year=year,
        org_kind=OrgKind.BRANCH,
        tree=definition.parse_text(TREE_TEXT),
        rank_siblings=True,
    )
    branches = list(
        Organization.objects.filter(path__startswith=root.path, kind=OrgKind.BRANCH).order_by("path")
    )
    for i, branch in enumerate(branches):
        points = ("9", "7.5", "6")[i % 3]
        services.score_by_panel(
            actor=town.actor,
            scheme=scheme,
            node_key="1.2",
            org=branch,
            points=points,
            justification=gettext(REASONS[i % 3]),
        )
    run = services.start_run(actor=town.actor, scheme=scheme, as_of=as_of, mode="here")
    graded = run.results.exclude(grade="").count()
    _review(town, root, year)
    town.summary.append(
        gettext("考核：%(name)s（%(year)d年度），%(n)d个党支部已评分，%(g)d个评定星级。")
        % {"name": scheme.name, "year": year, "n": run.results.count(), "g": graded}
    )


def _review(town: DemoTown, root: Organization, year: int) -> None:
    """The year's 述职评议: every branch's report prefilled; the showcase branch's secretary submitted
    hers and the street committee graded it."""
    from . import review

    rnd = review.open_round(actor=town.actor, owner=root, year=year)
    showcase = town.shared.get("showcase", (None, []))[0]
    report = rnd.reports.filter(org=showcase).first() if showcase is not None else rnd.reports.first()
    if report is None:
        return
    review.write_report(
        actor=report.secretary_user or town.actor,  # the report is the secretary's own
        report=report,
        text=gettext(
            "一年来，支部坚持“三会一课”和主题党日制度，按时完成上级交办任务，"
            "围绕社区治理开展志愿服务。不足是党员教育形式较单一，明年将加强。"
        ),
        submit=True,
    )
    review.evaluate(
        actor=town.actor, report=report, source="committee", grade="较好", comment=gettext("工作扎实")
    )
    review.comment(actor=town.actor, report=report, text=gettext("希望进一步丰富党员教育形式。"))
