"""This app's part of ``jiceng demo``: a year of dues for the demo town.

Every branch keeps its dues in jiceng from the town's 记录起始日期 (a year ago); the employed and the
retired have income bases (one exactly on the 3,000-yuan line), village branches set the farmers'
amount, the year's amounts are fixed (年初核定), and a year of payments is recorded: nearly everyone
paid every month, a few missed last month, and two stopped paying seven months ago (a
``member.dues_unpaid_6_months`` finding each). One member paid 1,000 yuan extra (remitted to the
Centre), one has an approved hardship exemption. Seeded: the same town every time.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils.translation import gettext

from jiceng.core import audit
from jiceng.core.registry import DemoTown
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgKind

from . import ledger, rules, services
from .models import BranchDuesSetting, IncomeBase, Payment


def present() -> bool:
    return Payment.objects.exists()


def load(town: DemoTown) -> None:
    root = Organization.objects.get_root_nodes().first()
    if root is None:
        return
    rng = random.Random(town.seed + 15)
    today, actor = town.today, town.actor
    since = rules.month_start(town.shared.get("records_since") or dt.date(today.year - 1, today.month, 1))
    this_month = rules.month_start(today)
    branches = list(Organization.objects.filter(path__prefix=root.path, kind=OrgKind.BRANCH).order_by("path"))
    members = list(
        Member.objects.filter(org_path__prefix=root.path, closed_on__isnull=True).order_by("org_path", "id")
    )
    BranchDuesSetting.objects.bulk_create(
        BranchDuesSetting(
            org=b,
            farmer_amount=Decimal("0.50")
            if b.unit_kind != "village"
            else Decimal(rng.choice(["0.50", "1.00"])),
            records_since=since,
        )
        for b in branches
    )
    bases = []
    for i, m in enumerate(members):
        if m.category == "employed":
            amount = (
                Decimal("3000.00") if i == 0 else Decimal(rng.randrange(2200, 16000)).quantize(Decimal("1"))
            )
        elif m.category == "retired":
            amount = Decimal(rng.randrange(1800, 7500))
        else:
            continue
        bases.append(
            IncomeBase(
                member=m,
                amount=amount,
                applies_from=since,
                source=IncomeBase.Source.BRANCH,
                recorded_by=actor,
            )
        )
    IncomeBase.objects.bulk_create(bases)
    for year in sorted({since.year, this_month.year}):
        for b in branches:
            services.fix_year(actor=actor, branch=b, year=year)
    # Who pays: two stopped seven months ago, a few missed last month.
    stopped = set(rng.sample([m.pk for m in members if m.joined_on < since], k=min(2, len(members))))
    last_month = rules.add_months(this_month, -1)
    missed = {m.pk for m in members if rng.random() < 0.04}
    book = ledger.load(members, since, this_month)
    payments = []
    for m in members:
        for line in book.of(m.pk):
            if not line.owes:
                continue
            if m.pk in stopped and line.month >= rules.add_months(this_month, -7):
                continue
            if line.month == last_month and m.pk in missed:
                continue
            if line.month == this_month and rng.random() < 0.5:
                continue  # this month is still being collected
            paid_on = min(line.month.replace(day=rng.randint(3, 20)), today)
            payments.append(
                Payment(
                    member=m,
                    month=line.month,
                    amount=line.due,
                    paid_on=paid_on,
                    method=rng.choice(["cash", "cash", "transfer"]),
                    receipt_number=f"{line.month:%Y%m}-{m.pk:05d}",
                    recorded_by=actor,
                )
            )
    Payment.objects.bulk_create(payments, batch_size=2000)
    for b in branches:
        audit.record(
            actor=actor,
            action=audit.Action.CREATE,
            obj=b,
            message=gettext("演示数据：登记一年的党费交纳记录"),
        )
    payers = [m for m in members if m.pk not in stopped]
    if payers:
        services.record_extra_payment(actor=actor, member=payers[0], amount=Decimal("1000.00"), paid_on=today)
    if len(payers) > 1:
        services.record_extra_payment(actor=actor, member=payers[1], amount=Decimal("200.00"), paid_on=today)
    if len(payers) > 2:
        services.record_hardship(
            actor=actor,
            member=payers[2],
            kind="exemption",
            from_month=this_month,
            until_month=rules.add_months(this_month, 5),
            reason=gettext("重病住院，生活困难"),
            branch_decided_on=today,
            committee_approved_on=today,
        )
    town.summary.append(
        gettext("党费：%(n)d条交纳记录，%(a)d人连续6个月以上未交。") % {"n": len(payments), "a": len(stopped)}
    )
