"""The shipped states (one per type) and the first categories. Names are stored in Chinese: they are
data an administrator edits, not interface text."""

from django.db import migrations

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


def seed(apps, schema_editor):
    State = apps.get_model("services", "State")
    Category = apps.get_model("services", "Category")
    for code, name, public, type_, order in STATES:
        State.objects.get_or_create(
            code=code, defaults={"name": name, "public_name": public, "type": type_, "order": order, "shipped": True}
        )
    for i, (name, urgency, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(parent=None, name=name, defaults={"urgency": urgency, "order": 10 * (i + 1)})
        for j, child in enumerate(children):
            Category.objects.get_or_create(parent=parent, name=child, defaults={"urgency": urgency, "order": j + 1})


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
