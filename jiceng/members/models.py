from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiceng.core.identity import IdentityMixin
from jiceng.core.scope import VIEW, ScopedQuerySet
from jiceng.orgs.rules import add_years


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("研究生")
    BACHELOR = "bachelor", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY_VOCATIONAL = "secondary_vocational", _("中等专科")
    HIGH_SCHOOL = "high_school", _("高中")
    JUNIOR_OR_BELOW = "junior_or_below", _("初中及以下")


class Category(models.TextChoices):
    EMPLOYED = "employed", _("在岗职工")
    RETIRED = "retired", _("离退休人员")
    FARMER = "farmer", _("农牧渔民")
    STUDENT = "student", _("学生")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class AgeBand(models.TextChoices):
    """The bands of the Party's internal statistics (党内统计), by the age reached in the current year.

    Statistics count ages at the year's end (31 December), so a band depends on the birth year only:
    the counts can be kept as maintained tallies and stay exact all year.
    """

    UP_TO_35 = "le35", _("35岁及以下")
    FROM_36_TO_45 = "36_45", _("36至45岁")
    FROM_46_TO_55 = "46_55", _("46至55岁")
    FROM_56_TO_60 = "56_60", _("56至60岁")
    FROM_61_TO_70 = "61_70", _("61至70岁")
    FROM_71 = "ge71", _("71岁及以上")


AGE_BAND_LIMITS: dict[str, tuple[int, int | None]] = {
    AgeBand.UP_TO_35: (0, 35),
    AgeBand.FROM_36_TO_45: (36, 45),
    AgeBand.FROM_46_TO_55: (46, 55),
    AgeBand.FROM_56_TO_60: (56, 60),
    AgeBand.FROM_61_TO_70: (61, 70),
    AgeBand.FROM_71: (71, None),
}


def whole_years(start: dt.date, day: dt.date) -> int:
    """Whole years from ``start`` to ``day``; a 29 February start has its anniversary on 28 February,
    as ``orgs.rules.add_years`` counts (the 18th birthday, the one-year probation)."""
    years = day.year - start.year
    return years if add_years(start, years) <= day else years - 1


def year_end_age(birth_date: dt.date, day: dt.date) -> int:
    """The age reached in ``day``'s year (age on 31 December), as the year-end statistics count it."""
    return day.year - birth_date.year


def band_of_age(age: int) -> str:
    for band, (low, high) in AGE_BAND_LIMITS.items():
        if age >= low and (high is None or age <= high):
            return band
    return AgeBand.UP_TO_35


def age_band_of(birth_date: dt.date, day: dt.date) -> str:
    return band_of_age(year_end_age(birth_date, day))


# The fields of a member's record that a person enters (pages, API, import), in the roster's order.
RECORD_FIELDS = (
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "education",
    "degree",
    "category",
    "status",
    "joined_on",
    "full_member_on",
    "standing_correction",
    "work_unit",
    "job_post",
    "phone",
    "household_registration",
    "residence",
)


class MemberQuerySet(ScopedQuerySet):
    scope_path_field = "org_path"

    def scope_q(self, user, action: str) -> Q:  # noqa: ANN001
        q = super().scope_q(user, action)
        if action == VIEW and getattr(user, "is_authenticated", False):
            q |= Q(user=user)  # everyone sees their own record
        return q

    def active(self) -> MemberQuerySet:
        return self.filter(closed_on__isnull=True)


class Member(IdentityMixin, models.Model):
    """A Party member (党员) and the branch that holds their membership."""

    # No index of its own: the (org, name_pinyin) index below serves every lookup by branch.
    org = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="members",
        verbose_name=_("所在党支部"),
        db_index=False,
    )
    # The branch's materialized path, kept exact by every write that moves members or organizations,
    # so that subtree lists and counts need no join.
    org_path = models.CharField(max_length=255, editable=False)
    group = models.ForeignKey(
        "orgs.PartyGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("党小组"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
        verbose_name=_("登录账号"),
    )
    name = models.CharField(_("姓名"), max_length=50)
    name_pinyin = models.CharField(max_length=200, editable=False)  # indexed in Meta, for prefix search
    name_initials = models.CharField(max_length=50, editable=False)
    gender = models.CharField(_("性别"), max_length=8, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    id_number_cipher = models.TextField(editable=False)
    id_number_digest = models.CharField(max_length=64, editable=False)  # unique: see Meta
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18, editable=False)
    education = models.CharField(_("学历"), max_length=24, choices=Education.choices)
    degree = models.CharField(_("学位"), max_length=20, blank=True)
    category = models.CharField(_("人员类别"), max_length=12, choices=Category.choices)
    status = models.CharField(_("党员状态"), max_length=16, choices=Status.choices)
    joined_on = models.DateField(_("入党日期"))
    full_member_on = models.DateField(_("转正日期"), null=True, blank=True)
    standing_correction = models.SmallIntegerField(
        _("党龄校正值"), default=0, help_text=_("以年计，用于党龄中断等情况的校正")
    )
    work_unit = models.CharField(_("工作单位及职务"), max_length=200, blank=True)
    job_post = models.CharField(_("工作岗位"), max_length=100, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    household_registration = models.CharField(_("户籍所在地"), max_length=200, blank=True)
    residence = models.CharField(_("现居住地"), max_length=200, blank=True)
    # 留党察看 (a Party disciplinary sanction): a member under it may not sponsor an applicant (发展党员
    # dev.sponsors). Only its dates are kept, as the development rules need them.
    party_probation_from = models.DateField(_("留党察看开始日期"), null=True, blank=True)
    party_probation_until = models.DateField(_("留党察看期满日期"), null=True, blank=True)
    closed_on = models.DateField(_("党籍终止日期"), null=True, blank=True)
    closed_reason = models.CharField(_("终止原因"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MemberQuerySet.as_manager()

    audit_exclude = ("id_number_cipher", "id_number_digest", "name_pinyin", "name_initials", "org_path")

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["org_path", "name_pinyin", "id"]
        # Each index costs every imported member a write: one per way of reading, no more. Name
        # search is by prefix (LIKE 'x%'), which only pattern_ops indexes serve whatever the
        # collation; they also serve equality. The digest is looked up by equality only: a
        # constraint, unlike unique=True, comes without Django's second (LIKE) index on PostgreSQL.
        indexes = [
            models.Index(fields=["org_path"], name="member_org_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["org", "name_pinyin"], name="member_org_name"),
            models.Index(
                fields=["name_pinyin"], name="member_name_pinyin", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["name_initials"], name="member_name_initials", opclasses=["varchar_pattern_ops"]
            ),
        ]
        constraints = [
            # Byte-wise comparison (pattern_ops): a hex digest needs no collation, and the index is
            # built and searched without one (a third of the time of the collated index).
            models.UniqueConstraint(
                fields=["id_number_digest"],
                name="member_id_number_digest_unique",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def audit_org_path(self) -> str:
        return self.org_path

    def age_band(self, day: dt.date) -> str:
        return age_band_of(self.birth_date, day)

    @property
    def party_standing_years(self) -> int | None:
        """党龄: whole years as a full member, plus the correction."""
        if self.full_member_on is None:
            return None
        return max(0, whole_years(self.full_member_on, dt.date.today()) + self.standing_correction)


class Membership(models.Model):
    """Which branch held the membership when. Names are kept so history survives a merge."""

    class Reason(models.TextChoices):
        JOINED = "joined", _("入党")
        REGISTERED = "registered", _("登记")
        IMPORTED = "imported", _("导入")
        TRANSFER = "transfer", _("组织关系转接")
        MERGE = "merge", _("支部合并")
        SPLIT = "split", _("支部拆分")
        CLOSED = "closed", _("党籍终止")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    org = models.ForeignKey(
        "orgs.Organization", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("党支部")
    )
    org_code = models.CharField(_("组织编码"), max_length=32)
    org_name = models.CharField(_("组织名称"), max_length=200)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    start_reason = models.CharField(_("转入原因"), max_length=16, choices=Reason.choices)
    end_reason = models.CharField(_("转出原因"), max_length=16, choices=Reason.choices, blank=True)

    class Meta:
        verbose_name = _("组织关系记录")
        verbose_name_plural = _("组织关系记录")
        ordering = ["member", "-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"], condition=Q(ended_on__isnull=True), name="one_open_membership"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.org_name}"
