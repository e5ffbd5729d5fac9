from __future__ import annotations

import datetime as dt

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from jiceng.core.scope import ScopedQuerySet

from . import rules


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    WORKING_COMMITTEE = "working_committee", _("党工委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")


class UnitKind(models.TextChoices):
    COMMUNITY = "community", _("社区")
    VILLAGE = "village", _("农村")
    GOVERNMENT = "government", _("机关")
    INSTITUTION = "institution", _("事业单位")
    STATE_ENTERPRISE = "state_enterprise", _("国有企业")
    PRIVATE_ENTERPRISE = "private_enterprise", _("非公有制企业")
    SOCIAL_ORGANIZATION = "social_organization", _("社会组织")


class OrganizationQuerySet(MP_NodeQuerySet, ScopedQuerySet):
    scope_path_field = "path"


class OrganizationManager(MP_NodeManager):
    def get_queryset(self) -> OrganizationQuerySet:
        return OrganizationQuerySet(self.model).order_by("path")

    def restrict(self, user, action: str = "view") -> OrganizationQuerySet:  # noqa: ANN001
        return self.get_queryset().restrict(user, action)


code_validator = RegexValidator(r"^[0-9A-Za-z_-]{1,32}$", _("组织编码只能包含字母、数字、下划线和连字符"))


class Organization(MP_Node):
    """A node of the Party organization tree (党组织). Members belong to branches (党支部)."""

    code = models.CharField(_("组织编码"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("组织名称"), max_length=200)
    kind = models.CharField(_("组织类别"), max_length=20, choices=OrgKind.choices)
    unit_kind = models.CharField(_("单位类别"), max_length=24, choices=UnitKind.choices)
    founded_on = models.DateField(_("成立日期"), null=True, blank=True)
    # A branch of fewer than 7 full members may have no committee: it then has a secretary (and, if
    # needed, a deputy) without an election of a committee (支部条例). With a committee in office the
    # secretary is the committee's (CommitteePost); these fields hold only the committee-less one.
    secretary = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("书记（未设支部委员会）"),
    )
    secretary_since = models.DateField(_("书记任职日期"), null=True, blank=True)
    # 记录起始日期: jiceng holds this organization's records from this day on; before it there are
    # "no records", never findings (an install or import starts with no history).
    records_since = models.DateField(_("记录起始日期"), default=timezone.localdate)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationManager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        indexes = [models.Index(fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return self.name

    def audit_org_path(self) -> str:
        return self.path

    @property
    def is_branch(self) -> bool:
        return self.kind == OrgKind.BRANCH

    @property
    def current_committee(self) -> Committee | None:
        return self.committees.filter(ended_on__isnull=True).order_by("-elected_on").first()


class PartyGroup(models.Model):
    """党小组: a subdivision of a branch."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="groups", verbose_name=_("党支部")
    )
    name = models.CharField(_("党小组名称"), max_length=100)
    leader = models.ForeignKey(
        "members.Member",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("组长"),
    )

    class Meta:
        verbose_name = _("党小组")
        verbose_name_plural = _("党小组")
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="unique_group_name_in_branch")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def audit_org_path(self) -> str:
        return self.org.path


class Formation(models.TextChoices):
    """How a committee came to office: elected for a term (党委, 党总支, 党支部), or appointed by the
    higher committee without a term (党工委, its dispatched body)."""

    ELECTED = "elected", _("选举产生")
    APPOINTED = "appointed", _("上级任命")


class Committee(models.Model):
    """A committee for one term (届): elected (支部委员会, a grassroots committee's) with a term, or the
    appointed leadership of a 党工委 (``formation`` appointed: no term, no extension; ``elected_on`` is
    then the appointment day)."""

    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="committees", verbose_name=_("党组织")
    )
    formation = models.CharField(
        _("产生方式"),
        max_length=10,
        choices=Formation.choices,
        default=Formation.ELECTED,
        db_default="elected",
    )
    elected_on = models.DateField(_("选举（任命）日期"))
    term_years = models.PositiveSmallIntegerField(_("任期（年）"), null=True, blank=True)
    extended_to = models.DateField(
        _("经批准延期至"),
        null=True,
        blank=True,
        help_text=_("上级党委批准的延期或提前换届日期，最长不超过1年（选举条例第三条）"),
    )
    extension_approval = models.CharField(_("延期批准文件"), max_length=200, blank=True)
    ended_on = models.DateField(_("届满（被新一届接替）日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("委员会")
        verbose_name_plural = _("委员会")
        ordering = ["-elected_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["org"], condition=models.Q(ended_on__isnull=True), name="one_current_committee"
            ),
            # Elected: a term. Appointed: no term and so no extension of it.
            models.CheckConstraint(
                condition=models.Q(formation="elected", term_years__isnull=False)
                | models.Q(formation="appointed", term_years__isnull=True, extended_to__isnull=True),
                name="committee_term_by_formation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org} {self.elected_on:%Y-%m-%d}"

    def audit_org_path(self) -> str:
        return self.org.path

    @property
    def is_appointed(self) -> bool:
        return self.formation == Formation.APPOINTED

    @property
    def term_ends_on(self) -> dt.date | None:
        """The end of the term (or the approved date); None for an appointed committee."""
        return rules.term_end(
            elected_on=self.elected_on, term_years=self.term_years, extended_to=self.extended_to
        )


class Post(models.TextChoices):
    SECRETARY = "secretary", _("书记")
    DEPUTY_SECRETARY = "deputy_secretary", _("副书记")
    ORGANIZATION_MEMBER = "organization_member", _("组织委员")
    PUBLICITY_MEMBER = "publicity_member", _("宣传委员")
    DISCIPLINE_MEMBER = "discipline_member", _("纪检委员")
    MEMBER = "committee_member", _("委员")


class CommitteePost(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="posts")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="committee_posts", verbose_name=_("党员")
    )
    post = models.CharField(_("党内职务"), max_length=24, choices=Post.choices)

    class Meta:
        verbose_name = _("委员会职务")
        verbose_name_plural = _("委员会职务")
        constraints = [
            models.UniqueConstraint(fields=["committee", "member"], name="one_post_per_member"),
            models.UniqueConstraint(
                fields=["committee"], condition=models.Q(post="secretary"), name="one_secretary_per_committee"
            ),
        ]
        ordering = ["committee", "post"]

    def __str__(self) -> str:
        return f"{self.get_post_display()} {self.member}"

    def audit_org_path(self) -> str:
        return self.committee.org.path


class OrgTally(models.Model):
    """Counts over an organization's whole subtree, kept exact by every write path.

    Keys: ``members``, ``status:<s>``, ``category:<c>``, ``education:<e>``, ``gender:<g>``,
    ``birth_year:<yyyy>`` (age bands follow from the year, as in the Party's year-end statistics),
    ``branches``, ``unit:<unit kind>`` (branches by unit kind), ``term_end:<yyyy-mm-dd>`` (current
    elected committees by the day their term ends) and ``committee:appointed`` (current appointed
    committees, of 党工委: they have no term end). See ``jiceng.orgs.tallies``.
    """

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True, related_name="tally")
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("统计汇总")
        verbose_name_plural = _("统计汇总")

    def __str__(self) -> str:
        return f"{self.org_id}: {self.counts.get('members', 0)}"
