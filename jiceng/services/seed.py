"""The shipped states (one per type) and the first categories, in one place: migration
``services/0002`` loads them, and ``ensure_shipped`` restores them wherever they went missing (a
database flushed by a test, say), so a request always finds the state of each type."""

from __future__ import annotations

STATES = [
    ("received", "已接收", "已收到，等待响应", "received", 10),
    ("accepted", "已响应", "已响应，正在安排", "accepted", 20),
    ("in_progress", "办理中", "正在办理", "in_progress", 30),
    ("reopened", "重新办理", "您反映未解决，正在重新办理", "reopened", 35),
    ("answered", "已办结待评价", "已办结，请您评价", "answered", 40),
    ("resolved", "居民已确认", "您已确认办理结果", "resolved", 50),
    ("closed", "已关闭", "已结束", "closed", 60),
    ("merged", "已合并", "与另一条相同诉求合并办理", "merged", 70),
    ("referred", "不属受理范围", "不属于本单位受理范围", "referred", 80),
    ("withdrawn", "已撤回", "您已撤回", "withdrawn", 90),
]

CATEGORIES = [
    ("环境卫生", "ordinary", ["垃圾清运", "绿化养护"]),
    ("物业管理", "ordinary", ["电梯故障", "停车管理"]),
    ("市政设施", "ordinary", ["道路破损", "路灯不亮", "供水供暖"]),
    ("矛盾纠纷", "complex", ["邻里纠纷"]),
    ("社会保障", "complex", ["养老服务", "困难救助"]),
    ("其他", "ordinary", []),
]


def ensure_shipped() -> None:
    """Create the shipped states that are missing; the categories only when there are none at all (an
    administrator's deletions stay deleted)."""
    from .models import Category, State

    for code, name, public, type_, order in STATES:
        State.objects.get_or_create(
            code=code,
            defaults={"name": name, "public_name": public, "type": type_, "order": order, "shipped": True},
        )
    if Category.objects.exists():
        return
    for i, (name, urgency, children) in enumerate(CATEGORIES):
        parent = Category.objects.create(parent=None, name=name, urgency=urgency, order=10 * (i + 1))
        for j, child in enumerate(children):
            Category.objects.create(parent=parent, name=child, urgency=urgency, order=j + 1)
