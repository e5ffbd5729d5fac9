"""A scheme's tree of indicators (考核指标体系): its checked form, and the text an editor writes.

The tree is JSON: ``{"total": "100", "indicators": [node, …]}``, a node being ``{"key", "name",
"weight", "kind", "indicator", "params", "children"}`` with ``kind`` one of ``group`` (its weight is
split among its children), ``computed`` (a registered indicator, ``indicator`` its key) or ``panel``
(scored by a panel with a written justification). Keys are given by position ("1", "1.2", …).

What is checked (``check``), every refusal naming the line or node and the reason:

- weights are positive numbers with at most two decimals, at most 1000;
- the top-level weights sum to ``total`` and the children of a group sum exactly to its weight
  (decimal arithmetic, no rounding);
- at most ``MAX_DEPTH`` levels and ``MAX_NODES`` nodes; a group has children, a leaf has none;
- a computed node names a registered indicator and only its parameters, within their bounds.

The editor's text has one node a line, two spaces of indentation a level, fields split by ``|``::

    组织生活 | 40
      三会一课按月落实 | 30 | life.months_complete
      评议：组织生活质量 | 10 | 评议
    任务落实 | 60 | tasks.on_time

The third field is an indicator key, or ``评议`` / ``panel`` for a panel's score; none makes a group.
A fourth field sets parameters: ``name=value, name=value``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import indicators

MAX_DEPTH = 4
MAX_NODES = 100
MAX_WEIGHT = Decimal(1000)
NAME_LENGTH = 60
TEXT_LENGTH = 20_000
GROUP, COMPUTED, PANEL = "group", "computed", "panel"
PANEL_WORDS = ("评议", "panel")


def _weight(raw: Any) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0 or value > MAX_WEIGHT or value.as_tuple().exponent < -2:
        return None
    return value


def _fmt(value: Decimal) -> str:
    """A weight as people write it: 40, 12.5."""
    text = format(value.normalize(), "f")
    return text


def check(tree: Any) -> dict[str, Any]:
    """The tree, checked and normalized (keys by position, weights as strings), or ValidationError
    with one message per problem, each naming the node."""
    errors: list[str] = []
    if not isinstance(tree, dict):
        raise ValidationError({"definition": [_("指标体系应为一个对象（total 与 indicators）")]})
    total = _weight(tree.get("total", "100"))
    if total is None:
        errors.append(_("总分应为不超过1000的正数，最多两位小数"))
    count = 0

    def walk(nodes: Any, prefix: str, depth: int, where: str) -> list[dict[str, Any]]:
        nonlocal count
        if not isinstance(nodes, list) or not nodes:
            errors.append(_("%(where)s：应至少有一项指标") % {"where": where})
            return []
        out = []
        for i, node in enumerate(nodes, start=1):
            key = f"{prefix}{i}"
            count += 1
            if count > MAX_NODES:
                errors.append(_("指标不能超过%(n)d项") % {"n": MAX_NODES})
                return out
            if not isinstance(node, dict):
                errors.append(_("指标%(key)s：格式不正确") % {"key": key})
                continue
            name = str(node.get("name") or "").strip()
            label = _("指标%(key)s（%(name)s）") % {"key": key, "name": name[:NAME_LENGTH]}
            if not name:
                errors.append(_("指标%(key)s：缺少名称") % {"key": key})
            elif len(name) > NAME_LENGTH:
                errors.append(_("%(label)s：名称不能超过%(n)d个字") % {"label": label, "n": NAME_LENGTH})
            weight = _weight(node.get("weight"))
            if weight is None:
                errors.append(
                    _("%(label)s：权重应为不超过1000的正数，最多两位小数（现为“%(value)s”）")
                    % {"label": label, "value": str(node.get("weight", ""))[:20]}
                )
            children = node.get("children") or []
            kind = node.get("kind") or (GROUP if children else "")
            clean: dict[str, Any] = {"key": key, "name": name, "weight": _fmt(weight) if weight else "0"}
            if kind == GROUP:
                if depth >= MAX_DEPTH:
                    errors.append(_("%(label)s：指标体系最多%(n)d级") % {"label": label, "n": MAX_DEPTH})
                    continue
                kids = walk(children, f"{key}.", depth + 1, label)
                clean.update(kind=GROUP, children=kids)
                if weight is not None and kids and all(_weight(k["weight"]) for k in kids):
                    total_kids = sum(Decimal(k["weight"]) for k in kids)
                    if total_kids != weight:
                        errors.append(
                            _("%(label)s：下级指标权重之和为%(sum)s，应等于本项权重%(weight)s")
                            % {"label": label, "sum": _fmt(total_kids), "weight": _fmt(weight)}
                        )
            elif kind == COMPUTED:
                if children:
                    errors.append(_("%(label)s：计算指标不能有下级指标") % {"label": label})
                key_name = str(node.get("indicator") or "").strip()
                spec = indicators.get(key_name)
                if spec is None:
                    errors.append(
                        _("%(label)s：没有名为“%(indicator)s”的计算指标")
                        % {"label": label, "indicator": key_name[:60]}
                    )
                    continue
                params = node.get("params") or {}
                if not isinstance(params, dict):
                    errors.append(_("%(label)s：参数格式不正确") % {"label": label})
                    params = {}
                clean_params = {}
                for pname, pvalue in params.items():
                    param = spec.params.get(pname)
                    if param is None:
                        errors.append(
                            _("%(label)s：指标没有参数“%(param)s”")
                            % {"label": label, "param": str(pname)[:30]}
                        )
                        continue
                    try:
                        number = int(str(pvalue).strip())
                    except ValueError:
                        number = None
                    if number is None or not param.minimum <= number <= param.maximum:
                        errors.append(
                            _("%(label)s：参数%(param)s应为%(min)d至%(max)d之间的整数")
                            % {"label": label, "param": pname, "min": param.minimum, "max": param.maximum}
                        )
                        continue
                    clean_params[pname] = number
                clean.update(kind=COMPUTED, indicator=key_name, params=clean_params)
            elif kind == PANEL:
                if children:
                    errors.append(_("%(label)s：评议指标不能有下级指标") % {"label": label})
                clean.update(kind=PANEL)
            else:
                errors.append(_("%(label)s：应为分组（有下级指标）、计算指标或评议指标") % {"label": label})
                continue
            out.append(clean)
        return out

    nodes = walk(tree.get("indicators"), "", 1, _("指标体系"))
    if total is not None and nodes and not errors:
        top = sum(Decimal(n["weight"]) for n in nodes)
        if top != total:
            errors.append(
                _("一级指标权重之和为%(sum)s，应等于总分%(total)s") % {"sum": _fmt(top), "total": _fmt(total)}
            )
    if errors:
        raise ValidationError({"definition": errors})
    return {"total": _fmt(total), "indicators": nodes}


def leaves(tree: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for n in nodes:
            if n["kind"] == GROUP:
                walk(n["children"])
            else:
                out.append(n)

    walk(tree["indicators"])
    return out


def flat(tree: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(depth, node) in tree order, for the pages."""
    out: list[tuple[int, dict[str, Any]]] = []

    def walk(nodes: list[dict[str, Any]], depth: int) -> None:
        for n in nodes:
            out.append((depth, n))
            if n["kind"] == GROUP:
                walk(n["children"], depth + 1)

    walk(tree["indicators"], 0)
    return out


def parse_text(text: str, *, total: Any = "100") -> dict[str, Any]:
    """The editor's text as a checked tree; refusals name the line."""
    if len(text) > TEXT_LENGTH:
        raise ValidationError({"definition": [_("指标体系文本不能超过%(n)d个字符") % {"n": TEXT_LENGTH}]})
    errors: list[str] = []
    roots: list[dict[str, Any]] = []
    stack: list[tuple[int, dict[str, Any]]] = []  # (level, node)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.replace("\t", "  ").replace("\u3000", "  ").rstrip()
        if not line.strip() or line.strip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip(" "))
        if indent % 2:
            errors.append(_("第%(n)d行：缩进应为2个空格的倍数") % {"n": number})
            continue
        level = indent // 2
        fields = [f.strip() for f in line.strip().replace("｜", "|").split("|")]
        if len(fields) < 2 or len(fields) > 4:
            errors.append(
                _("第%(n)d行：应写作“名称 | 权重 | 指标（可省略）| 参数（可省略）”") % {"n": number}
            )
            continue
        node: dict[str, Any] = {"name": fields[0], "weight": fields[1], "children": []}
        source = fields[2] if len(fields) > 2 else ""
        if source in PANEL_WORDS:
            node["kind"] = PANEL
        elif source:
            node["kind"] = COMPUTED
            node["indicator"] = source
        if len(fields) == 4 and fields[3]:
            params: dict[str, str] = {}
            for part in fields[3].replace("，", ",").split(","):
                name, sep, value = part.partition("=")
                if not sep or not name.strip():
                    errors.append(_("第%(n)d行：参数应写作“名称=数值”") % {"n": number})
                    break
                params[name.strip()] = value.strip()
            node["params"] = params
        while stack and stack[-1][0] >= level:
            stack.pop()
        if level == 0:
            roots.append(node)
        elif stack and stack[-1][0] == level - 1:
            parent = stack[-1][1]
            if parent.get("kind") in (COMPUTED, PANEL):
                errors.append(_("第%(n)d行：计算指标或评议指标下不能再有下级指标") % {"n": number})
                continue
            parent["kind"] = GROUP
            parent["children"].append(node)
        else:
            errors.append(_("第%(n)d行：缩进比上一行多了不止一级") % {"n": number})
            continue
        stack.append((level, node))
    if errors:
        raise ValidationError({"definition": errors})
    if not roots:
        raise ValidationError({"definition": [_("请至少填写一项指标")]})
    return check({"total": total, "indicators": roots})


def to_text(tree: dict[str, Any]) -> str:
    """The tree as the editor's text (``parse_text(to_text(t))`` gives ``t`` back)."""
    lines = []
    for depth, n in flat(tree):
        fields = [n["name"], n["weight"]]
        if n["kind"] == COMPUTED:
            fields.append(n["indicator"])
            if n.get("params"):
                fields.append(", ".join(f"{k}={v}" for k, v in n["params"].items()))
        elif n["kind"] == PANEL:
            fields.append(PANEL_WORDS[0])
        lines.append("  " * depth + " | ".join(fields))
    return "\n".join(lines)
