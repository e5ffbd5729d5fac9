"""Stored compliance results, and the change stamps that say whether they are still current.

An evaluation of a large subtree takes seconds; the health-check pages serve it from a stored run as
long as the run is *fresh*: nothing it read has changed since (see ``jiceng.reports.store``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiceng.core.compliance import Finding


class ChangeStamp(models.Model):
    """A counter per organization path (``""``: changes not placed in the tree), raised in the same
    transaction as every audited change recorded there. Rows are never deleted, so the sum of the
    counters over a set of paths only grows: any committed change under a path changes the sum."""

    path = models.CharField(max_length=255, primary_key=True)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("变更戳")
        verbose_name_plural = _("变更戳")
        indexes = [
            models.Index(fields=["path"], name="changestamp_prefix", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.path or '-'}: {self.version}"


class ComplianceRun(models.Model):
    """One stored evaluation of an organization's subtree for one period (the latest only)."""

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    org_path = models.CharField(max_length=255)  # the path when evaluated: a moved subtree is re-evaluated
    period = models.CharField(_("期间"), max_length=16)
    engine_version = models.CharField(max_length=16)
    stamps = models.CharField(max_length=64)  # "count:sum" of the change stamps read before the evaluation
    rules_digest = models.CharField(max_length=64)  # sha256 of the rule versions the evaluation used
    finding_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(_("评估时间"), auto_now_add=True)
    # Last shown on a page (at most once an hour): writes refresh the runs viewed lately in the background.
    viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("合规评估")
        verbose_name_plural = _("合规评估")
        constraints = [models.UniqueConstraint(fields=["org", "period"], name="one_run_per_org_period")]

    def __str__(self) -> str:
        return f"{self.org_path} {self.period}"


class ComplianceRefresh(models.Model):
    """A refresh of (org, period) asked for and not finished: the coalescing point and the lock.

    One row per organization and period (unique): however many writes or page views ask for it, one
    background task is queued. ``generation`` grows with every request, so a worker that finishes sees
    whether it was asked again meanwhile. A worker claims the row (``claimed_by``) before evaluating and
    checks its claim inside the transaction that stores the run: two refreshes never both write. A claim
    older than ``store.LEASE`` (a worker that died) may be taken over.
    """

    org = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=16)
    requested_at = models.DateTimeField()  # when the queued task was enqueued
    generation = models.PositiveBigIntegerField(default=1)
    claimed_by = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("合规评估更新")
        verbose_name_plural = _("合规评估更新")
        constraints = [models.UniqueConstraint(fields=["org", "period"], name="one_refresh_per_org_period")]

    def __str__(self) -> str:
        return f"{self.org_id} {self.period} #{self.generation}"


class StoredFinding(models.Model):
    run = models.ForeignKey(ComplianceRun, on_delete=models.CASCADE, related_name="findings")
    org_path = models.CharField(max_length=255)
    org_code = models.CharField(max_length=32)
    org_name = models.CharField(max_length=200)
    rule = models.CharField(max_length=64)
    period = models.CharField(max_length=16)
    member = models.BigIntegerField(null=True, blank=True)  # Member.pk (no foreign key: a snapshot)
    member_name = models.CharField(max_length=50, blank=True)
    subject = models.CharField(max_length=64, blank=True)
    params = models.JSONField(default=dict)
    citation = models.CharField(max_length=300)
    facts = models.JSONField(default=dict)
    due_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("合规问题")
        verbose_name_plural = _("合规问题")
        indexes = [
            models.Index(
                fields=["run", "org_path"],
                name="storedfinding_run_path",
                opclasses=["", "varchar_pattern_ops"],
            ),
            models.Index(fields=["run", "rule"], name="storedfinding_run_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.org_code} {self.rule} {self.period}"

    @classmethod
    def of(cls, run: ComplianceRun, f: Finding) -> StoredFinding:
        return cls(
            run=run,
            org_path=f.org_path,
            org_code=f.org_code,
            org_name=f.org_name,
            rule=f.rule,
            period=f.period,
            member=f.member,
            member_name=f.member_name,
            subject=f.subject,
            params=f.params,
            citation=f.citation,
            facts=f.facts,
            due_on=f.due_on,
        )

    def as_finding(self) -> Finding:
        return Finding(
            org_code=self.org_code,
            rule=self.rule,
            period=self.period,
            member=self.member,
            params=self.params,
            citation=self.citation,
            facts=self.facts,
            org_path=self.org_path,
            org_name=self.org_name,
            member_name=self.member_name,
            subject=self.subject,
            due_on=self.due_on,
        )
