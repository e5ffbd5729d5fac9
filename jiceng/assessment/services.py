"""Every write of assessment (考核): schemes and their versions, panel scores, runs.

Defining a scheme and running it need the manage right (组织管理员) on the committee that owns it; a
panel score needs the change right there (the committee's secretary or admin: never the organization
assessed, which holds the right on its own subtree only). Each write is one transaction with its
change record; refusals are ``ValidationError`` naming the field.

A run is reproducible: it stores the scheme version, the day counted to (``as_of``), the grading and
options it used and, per organization, every node's value with the key of the records it came from
(their count and the sum of their ids; ``selectors.trace`` lists them again on the score's page). Running
again with the same version and day over the same records gives the same numbers and keys.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiceng.core import audit, scope
from jiceng.orgs.models import Organization, OrgKind

from . import definition, indicators, scoring
from .indicators import Context, Target, Value
from .models import AssessmentRun, NoData, OrgResult, PanelScore, RunStatus, Scheme, SchemeVersion

if TYPE_CHECKING:
    from jiceng.core.models import User

log = logging.getLogger(__name__)
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_GRADES = 10
JUSTIFICATION_MIN, JUSTIFICATION_MAX = 4, 1000
ENGINE = "2"  # bump when a change of this app changes what a run computes from the same records


# Schemes -----------------------------------------------------------------------------------------------


def check_grading(grading: Any) -> dict[str, Any]:
    """``{"method": "quota"|"thresholds", "grades": [{"label", "quota"|"min"}, …]}``, checked."""
    if not isinstance(grading, dict):
        raise ValidationError({"grading": [_("评定等次格式不正确")]})
    method = grading.get("method")
    grades = grading.get("grades")
    errors = []
    if method not in (scoring.QUOTA, scoring.THRESHOLDS):
        errors.append(_("评定方式应为按比例（quota）或按分数线（thresholds）"))
    if not isinstance(grades, list) or not 1 <= len(grades) <= MAX_GRADES:
        errors.append(_("等次应有1至%(n)d个") % {"n": MAX_GRADES})
        grades = []
    clean = []
    total_quota = 0
    previous_min: Decimal | None = None
    for i, g in enumerate(grades, start=1):
        label = str((g or {}).get("label") or "").strip() if isinstance(g, dict) else ""
        if not label or len(label) > 30:
            errors.append(_("第%(i)d个等次：名称应为1至30个字") % {"i": i})
            continue
        if method == scoring.QUOTA:
            try:
                quota = int(str(g.get("quota")).strip())
            except (TypeError, ValueError):
                quota = -1
            if not 0 < quota <= 100:
                errors.append(
                    _("第%(i)d个等次（%(label)s）：比例应为1至100的整数") % {"i": i, "label": label}
                )
                continue
            total_quota += quota
            clean.append({"label": label, "quota": quota})
        elif method == scoring.THRESHOLDS:
            try:
                minimum = Decimal(str(g.get("min")).strip())
            except (InvalidOperation, TypeError):
                minimum = Decimal(-1)
            if not minimum.is_finite() or minimum < 0 or minimum > 1000:
                errors.append(
                    _("第%(i)d个等次（%(label)s）：分数线应为0至1000的数") % {"i": i, "label": label}
                )
                continue
            if previous_min is not None and minimum >= previous_min:
                errors.append(
                    _("第%(i)d个等次（%(label)s）：分数线应低于上一等次") % {"i": i, "label": label}
                )
            previous_min = minimum
            clean.append({"label": label, "min": str(minimum)})
    if total_quota > 100:
        errors.append(_("各等次比例之和为%(n)d%%，不能超过100%%") % {"n": total_quota})
    if errors:
        raise ValidationError({"grading": errors})
    return {"method": method, "grades": clean}


def _check_fields(*, name: str, year: int, org_kind: str, no_data: str) -> None:
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name) > 100:
        errors["name"] = [_("方案名称应为1至100个字")]
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        errors["year"] = [_("考核年度应在%(a)d至%(b)d之间") % {"a": FIRST_YEAR, "b": LAST_YEAR}]
    if org_kind not in OrgKind.values:
        errors["org_kind"] = [_("考核对象应为一种组织类别")]
    if no_data not in NoData.values:
        errors["no_data"] = [_("暂无数据的处理方式不正确")]
    if errors:
        raise ValidationError(errors)


def _snapshot(scheme: Scheme, actor: User | None) -> SchemeVersion:
    return SchemeVersion.objects.create(
        scheme=scheme,
        number=scheme.version,
        definition=scheme.definition,
        grading=scheme.grading,
        rank_siblings=scheme.rank_siblings,
        no_data=scheme.no_data,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


@transaction.atomic
def create_scheme(
    *,
    actor: User | None,
    owner: Organization,
    name: str,
    year: int,
    org_kind: str = OrgKind.BRANCH,
    tree: Mapping[str, Any],
    grading: Mapping[str, Any] | None = None,
    rank_siblings: bool = False,
    no_data: str = NoData.RESCALE,
) -> Scheme:
    """A new scheme (version 1) for the organizations of ``org_kind`` under ``owner``."""
    if actor is not None:
        scope.ensure(actor, scope.MANAGE, owner.path)
    if owner.kind == OrgKind.BRANCH:
        raise ValidationError({"owner": [_("考核方案由上级党组织（党委、党工委、党总支）制定")]})
    _check_fields(name=name, year=year, org_kind=org_kind, no_data=no_data)
    checked = definition.check(dict(tree))
    clean_grading = check_grading(dict(grading) if grading is not None else _default())
    scheme = Scheme.objects.create(
        owner=owner,
        owner_path=owner.path,
        name=name.strip(),
        year=int(year),
        org_kind=org_kind,
        definition=checked,
        grading=clean_grading,
        rank_siblings=bool(rank_siblings),
        no_data=no_data,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _snapshot(scheme, actor)
    audit.created(actor=actor, obj=scheme)
    return scheme


def _default() -> dict[str, Any]:
    from .models import default_grading

    return default_grading()


@transaction.atomic
def update_scheme(*, actor: User | None, scheme: Scheme, **changes: Any) -> Scheme:
    """Save a new version: the runs made so far keep the version they used."""
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if actor is not None:
        scope.ensure(actor, scope.MANAGE, scheme.owner_path)
    before = audit.snapshot(scheme)
    allowed = {"name", "year", "org_kind", "tree", "grading", "rank_siblings", "no_data"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: [_("不能修改此项")]})
    name = changes.get("name", scheme.name)
    year = changes.get("year", scheme.year)
    org_kind = changes.get("org_kind", scheme.org_kind)
    no_data = changes.get("no_data", scheme.no_data)
    _check_fields(name=name, year=year, org_kind=org_kind, no_data=no_data)
    if "tree" in changes:
        scheme.definition = definition.check(dict(changes["tree"]))
    if "grading" in changes:
        scheme.grading = check_grading(dict(changes["grading"]))
    scheme.name, scheme.year, scheme.org_kind, scheme.no_data = name.strip(), int(year), org_kind, no_data
    scheme.rank_siblings = bool(changes.get("rank_siblings", scheme.rank_siblings))
    scheme.version += 1
    scheme.save()
    _snapshot(scheme, actor)
    audit.updated(actor=actor, obj=scheme, before=before, message=f"v{scheme.version}")
    return scheme


# Panel scores --------------------------------------------------------------------------------------------


@transaction.atomic
def score_by_panel(
    *, actor: User | None, scheme: Scheme, node_key: str, org: Organization, points: Any, justification: str
) -> PanelScore:
    """The panel's score of a panel node for one organization (replacing an earlier one), with its
    written justification (required)."""
    if actor is not None:
        scope.ensure(actor, scope.CHANGE, scheme.owner_path)
    nodes = {n["key"]: n for _d, n in definition.flat(scheme.definition)}
    node = nodes.get(str(node_key))
    errors: dict[str, list[str]] = {}
    if node is None or node["kind"] != definition.PANEL:
        errors["node_key"] = [_("方案中没有这项评议指标")]
    if (
        not org.path.startswith(scheme.owner_path)
        or org.path == scheme.owner_path
        or org.kind != scheme.org_kind
    ):
        errors["org"] = [_("该组织不是本方案的考核对象")]
    try:
        value = Decimal(str(points).strip())
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite() or value.as_tuple().exponent < -2:
        errors["points"] = [_("得分应为数字，最多两位小数")]
    elif node is not None and not Decimal(0) <= value <= Decimal(node["weight"]):
        errors["points"] = [_("得分应在0至%(max)s之间") % {"max": node["weight"]}]
    text = (justification or "").strip()
    if not JUSTIFICATION_MIN <= len(text) <= JUSTIFICATION_MAX:
        errors["justification"] = [
            _("请写明评分理由（%(a)d至%(b)d个字）") % {"a": JUSTIFICATION_MIN, "b": JUSTIFICATION_MAX}
        ]
    if errors:
        raise ValidationError(errors)
    existing = PanelScore.objects.filter(scheme=scheme, node_key=node_key, org=org).first()
    before = audit.snapshot(existing) if existing else None
    score, _created = PanelScore.objects.update_or_create(
        scheme=scheme,
        node_key=node_key,
        org=org,
        defaults={
            "org_path": org.path,
            "points": value,
            "justification": text,
            "scored_by": actor if getattr(actor, "pk", None) else None,
        },
    )
    if before is None:
        audit.created(actor=actor, obj=score)
    else:
        audit.updated(actor=actor, obj=score, before=before)
    return score


# Runs ------------------------------------------------------------------------------------------------------


def _targets(scheme: Scheme, end: dt.date) -> list[Target]:
    rows = (
        Organization.objects.filter(path__startswith=scheme.owner_path, kind=scheme.org_kind)
        .exclude(path=scheme.owner_path)
        .exclude(founded_on__gt=end)
        .order_by("path")
        .values_list("id", "code", "name", "path", "kind")
    )
    return [Target(*r) for r in rows]


def inline_limit() -> int:
    """Runs over more organizations than this go to the background worker (``jiceng worker``)."""
    return int(getattr(settings, "ASSESSMENT_INLINE_LIMIT", 300))


@transaction.atomic
def start_run(
    *, actor: User | None, scheme: Scheme, as_of: dt.date | None = None, mode: str = "auto"
) -> AssessmentRun:
    """Record a run of the scheme's current version for its year, counted to ``as_of`` (default: today,
    or 31 December of a past year), and compute it (``mode``): ``auto`` at once when small, else in the
    background; ``here`` / ``background`` force either; ``caller`` records it only (the console
    command computes it with its own progress). The run page shows the progress."""
    if actor is not None:
        scope.ensure(actor, scope.MANAGE, scheme.owner_path)
    scheme = Scheme.objects.get(pk=scheme.pk)  # its current version, whatever the caller holds
    today = timezone.localdate()
    year_end = dt.date(scheme.year, 12, 31)
    as_of = as_of or min(today, year_end)
    if as_of.year != scheme.year:
        raise ValidationError({"as_of": [_("数据截至日应在考核年度%(y)d年内") % {"y": scheme.year}]})
    version = SchemeVersion.objects.get(scheme=scheme, number=scheme.version)
    targets = _targets(scheme, as_of)
    run = AssessmentRun.objects.create(
        scheme=scheme,
        version=version,
        owner_path=scheme.owner_path,
        year=scheme.year,
        as_of=as_of,
        params={
            "engine": ENGINE,
            "scheme_version": version.number,
            "year": scheme.year,
            "start": dt.date(scheme.year, 1, 1).isoformat(),
            "as_of": as_of.isoformat(),
            "org_kind": scheme.org_kind,
            "organizations": len(targets),
            "no_data": version.no_data,
            "grading": version.grading,
            "rank_siblings": version.rank_siblings,
            "indicator_params": {
                n["key"]: indicators.get(n["indicator"]).resolved_params(n.get("params"))
                for n in definition.leaves(version.definition)
                if n["kind"] == definition.COMPUTED and indicators.get(n["indicator"]) is not None
            },
        },
        steps=len(definition.leaves(version.definition)) + 1,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.created(actor=actor, obj=run, message=f"v{version.number} {as_of.isoformat()}")
    if mode == "auto":
        mode = "background" if len(targets) > inline_limit() else "here"
    if mode == "background":
        from .tasks import compute_assessment

        transaction.on_commit(lambda: compute_assessment.enqueue(run.pk))
    elif mode == "here":
        compute(run)
        run.refresh_from_db()
    return run


def _values_json(value: Value | None, share: Decimal | None, no_data: str) -> dict[str, Any]:
    if value is None:
        return {"share": None, "numerator": None, "denominator": None, "note": no_data}
    return {
        "share": None if share is None else str(share),
        "numerator": value.numerator,
        "denominator": value.denominator,
        "note": value.note,
    }


def _share(share: Fraction) -> Decimal:
    """A share rounded to ``VALUE_PLACES`` decimals, half up (exactly, from the fraction)."""
    scale = 10**indicators.VALUE_PLACES
    scaled = share * scale
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return (Decimal(whole) / scale).quantize(Decimal(1).scaleb(-indicators.VALUE_PLACES))


PROGRESS_EVERY = 0.5  # seconds: the run page polls; a step written more often is not seen


def _progress(run: AssessmentRun, done: int, last: list[float]) -> None:
    """Written when ``PROGRESS_EVERY`` has passed since the last write (a county's steps take
    milliseconds each: one write per step was a tenth of the run)."""
    now = time.monotonic()
    if now - last[0] >= PROGRESS_EVERY:
        AssessmentRun.objects.filter(pk=run.pk).update(steps_done=done)
        last[0] = now


def compute(run: AssessmentRun, *, progress: Any = None) -> AssessmentRun:
    """Compute a recorded run: each leaf for all organizations at once, then scores, ranks, grades,
    written in one transaction. ``progress(done, total, label)`` is told after each step."""
    version = run.version
    tree = version.definition
    scheme = run.scheme
    AssessmentRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, steps_done=0)
    try:
        targets = _targets(scheme, run.as_of)
        ctx = Context(
            year=run.year,
            start=dt.date(run.year, 1, 1),
            end=run.as_of,
            owner_path=run.owner_path,
            targets=targets,
        )
        leaves = definition.leaves(tree)
        values: dict[str, dict[int, Value]] = {}
        panel = {(p.node_key, p.org_id): p for p in PanelScore.objects.filter(scheme=scheme)}
        written = [time.monotonic()]
        for i, leaf in enumerate(leaves, start=1):
            values[leaf["key"]] = _leaf_values(ctx, leaf, panel)
            _progress(run, i, written)
            if progress:
                progress(i, run.steps, leaf["name"])
        with transaction.atomic():
            _write(run, tree, version, targets, values)
            AssessmentRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE, steps_done=run.steps, finished_at=timezone.now(), error=""
            )
        if progress:
            progress(run.steps, run.steps, _("写入结果"))
    except Exception as e:
        log.exception("assessment run %s failed", run.pk)
        AssessmentRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=str(e)[:500]
        )
        raise
    run.refresh_from_db()
    return run


def _leaf_values(
    ctx: Context, leaf: dict[str, Any], panel: dict[tuple[str, int], PanelScore]
) -> dict[int, Value]:
    if leaf["kind"] == definition.PANEL:
        out = {}
        weight = Fraction(Decimal(leaf["weight"]))
        none, some = _("暂无数据：尚未评议"), _("评议得分%(p)s / %(w)s：%(why)s")
        for t in ctx.targets:
            p = panel.get((leaf["key"], t.id))
            if p is None:
                out[t.id] = Value.no_data(none)
                continue
            out[t.id] = Value(
                Fraction(Decimal(p.points)) / weight,
                None,
                None,
                some % {"p": p.points, "w": leaf["weight"], "why": p.justification},
                key=indicators.TraceKey(1, p.pk),
            )
        return out
    spec = indicators.get(leaf["indicator"])
    if spec is None:
        return {
            t.id: Value.no_data(_("暂无数据：指标“%(k)s”未注册") % {"k": leaf["indicator"]})
            for t in ctx.targets
        }
    return dict(spec.compute(ctx, spec.resolved_params(leaf.get("params"))))


def _write(
    run: AssessmentRun,
    tree: dict[str, Any],
    version: SchemeVersion,
    targets: list[Target],
    values: dict[str, dict[int, Value]],
) -> None:
    OrgResult.objects.filter(run=run).delete()
    results: dict[int, dict[str, Any]] = {}
    scores: dict[int, Decimal | None] = {}
    parents: dict[int, str] = {}
    step = Organization.steplen
    nodes_flat = [n for _depth, n in definition.flat(tree)]
    no_data_word = _("暂无数据")
    # Scoring is a pure function of the leaves' rounded values: organizations with the same values (most
    # branches of a county share a few dozen combinations) are scored once, exactly as each would be.
    scored: dict[tuple, tuple[Decimal | None, dict[str, dict[str, Any]]]] = {}
    shares: dict[tuple[int, int], Decimal] = {}

    def share_of(v: Value | None) -> Decimal | None:
        if v is None or v.share is None:
            return None
        key = (v.share.numerator, v.share.denominator)  # cheaper to hash than the Fraction
        if key not in shares:
            shares[key] = _share(v.share)
        return shares[key]

    for t in targets:
        leaf = {key: share_of(by_org.get(t.id)) for key, by_org in values.items()}
        signature = tuple(leaf.items())
        if signature not in scored:
            total, nodes = scoring.score(
                tree,
                {k: None if d is None else Fraction(d) for k, d in leaf.items()},
                no_data=version.no_data,
            )
            points: dict[str, dict[str, Any]] = {}
            for n in nodes_flat:
                r = nodes.get(n["key"])
                entry: dict[str, Any] = {}
                if n["kind"] == definition.GROUP:
                    entry["share"] = None if r is None or r.value is None else str(_share(r.value))
                entry["effective"] = str(scoring.round_cent(r.effective)) if r else "0.00"
                entry["points"] = str(scoring.round_cent(r.points)) if r else "0.00"
                points[n["key"]] = entry
            scored[signature] = (None if total is None else scoring.round_cent(total), points)
        score, points = scored[signature]
        node_json: dict[str, Any] = {}
        trace: dict[str, Any] = {}
        for n in nodes_flat:
            if n["kind"] == definition.GROUP:
                node_json[n["key"]] = dict(points[n["key"]])
                continue
            v = values.get(n["key"], {}).get(t.id)
            entry = _values_json(v, leaf.get(n["key"]), no_data_word)
            entry.update(points[n["key"]])
            node_json[n["key"]] = entry
            # The trace's key (how many records, the sum of their ids): the records themselves are
            # listed when the score's page is opened (``selectors.trace``).
            trace[n["key"]] = (
                v.key.as_json()
                if v is not None and v.key is not None
                else {"count": len(v.records) if v is not None else 0, "id_sum": None}
            )
        scores[t.id] = score
        parents[t.id] = t.path[:-step]
        results[t.id] = {
            "run_id": run.pk,
            "org_id": t.id,
            "org_path": t.path,
            "score": score,
            "values": node_json,
            "trace": trace,
        }
    grading = version.grading
    grades = scoring.grade(scores, method=grading["method"], grades=grading["grades"])
    rank = scoring.ranks(scores, parents) if version.rank_siblings else {}
    sibling_count: dict[str, int] = {}
    for oid, s in scores.items():
        if s is not None:
            sibling_count[parents[oid]] = sibling_count.get(parents[oid], 0) + 1
    for oid, r in results.items():
        g = grades.get(oid)
        r["grade_index"] = g
        r["grade"] = grading["grades"][g]["label"] if g is not None else ""
        r["rank"] = rank.get(oid)
        r["siblings"] = sibling_count.get(parents[oid], 0) if version.rank_siblings else 0
    _insert(list(results.values()))


def _insert(results: list[dict[str, Any]]) -> None:
    """PostgreSQL: one COPY of the run's results (a bulk INSERT of a few hundred JSON documents spent
    most of its time in the driver splitting the statement's thousands of placeholders, and building
    the model instances); elsewhere a bulk insert."""
    if connection.vendor != "postgresql" or not results:
        OrgResult.objects.bulk_create((OrgResult(**r) for r in results), batch_size=500)
        return
    from .models import UnicodeJSONEncoder

    dumps = UnicodeJSONEncoder().encode
    columns = ("run_id", "org_id", "org_path", "score", "rank", "siblings", "grade", "grade_index")
    table = OrgResult._meta.db_table
    with connection.cursor() as cursor:
        names = ", ".join(connection.ops.quote_name(c) for c in (*columns, "values", "trace"))
        with cursor.copy(f"COPY {connection.ops.quote_name(table)} ({names}) FROM STDIN") as copy:
            for r in results:
                copy.write_row(
                    [
                        *(r[c] for c in columns),
                        dumps(r["values"]),
                        dumps(r["trace"]),
                    ]
                )
