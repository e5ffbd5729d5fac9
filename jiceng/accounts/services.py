"""Every write of the accounts app: keyword-only, atomic, scoped and audited.

- User management by organization administrators over their subtree (create, grant and withdraw
  roles, reset a password to a one-time password, deactivate).
- Accounts that follow posts: the bulk accounts of a subtree's recorded secretaries with their sheet
  of one-time passwords, and ``sync_secretary_roles``, which moves the secretary role when the post
  moves (called on commit by ``signals`` whenever committees, posts, branches, members or imports
  change).
- Activation of a member's own account with their identity number and a code from their branch.

Passwords are never stored or recorded in clear: a one-time password exists in one answer only (the
page, the API response or the sheet), and the change record says that it was set, never what it is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher, make_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from jiceng.core import audit, crypto, events, idnumber, scope
from jiceng.core.context import current
from jiceng.core.models import ObjectChange, RoleAssignment, User
from jiceng.core.scope import Role
from jiceng.development.models import OPEN_STAGES, Development
from jiceng.members.models import Member
from jiceng.orgs.models import Organization, OrgKind

from . import events as account_events
from . import selectors
from .models import (
    AccountState,
    ActivationAttempt,
    ActivationCode,
    AdminNotice,
    CredentialSheet,
    SecretaryHolder,
)

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # noqa: S105 (no 0/O, 1/l/I)
PASSWORD_LENGTH = 12
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACTIVATION_CODE_DAYS = 14
# Failed activations: per identity number as typed, and per address, within the window.
ATTEMPT_WINDOW = dt.timedelta(hours=1)
ATTEMPTS_PER_ID = 5
ATTEMPTS_PER_ADDRESS = 20


def one_time_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


class OneTimeArgon2Hasher(Argon2PasswordHasher):
    """Argon2 with light parameters, for one-time passwords only.

    A one-time password is 12 characters drawn at random from 55 (about 69 bits): guessing it is out of
    reach whatever the hash's cost, while the installation's Argon2 parameters (about a second of CPU
    here) would make the accounts of a county's thousand secretaries take a quarter of an hour in one
    request. The parameters travel in the encoded hash, so the ordinary Argon2 hasher verifies it, and
    Django re-hashes with the full parameters at the first sign-in (the password changes then anyway).
    """

    time_cost = 1
    memory_cost = 8192  # KiB
    parallelism = 1


def _hash_one_time(password: str) -> str:
    if isinstance(get_hasher("default"), Argon2PasswordHasher):
        hasher = OneTimeArgon2Hasher()
        return hasher.encode(password, hasher.salt())
    return make_password(password)  # another configured hasher (the tests' fast one)


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _user_data(user: User) -> dict[str, Any]:
    return {"username": user.username, "full_name": user.full_name, "is_active": user.is_active}


def _user_path(user: User) -> str:
    """Where a change to the account is filed in the change record: its home, member record or a role."""
    state = AccountState.objects.filter(user=user).select_related("home_org").first()
    if state is not None and state.home_org is not None:
        return state.home_org.path
    member = Member.objects.filter(user=user).values_list("org_path", flat=True).first()
    if member:
        return member
    return (
        RoleAssignment.objects.filter(user=user)
        .order_by("org__path")
        .values_list("org__path", flat=True)
        .first()
        or ""
    )


def _audit_user(
    *, actor: User | None, user: User, action: str, before: dict | None = None, message: str = ""
) -> None:
    after = _user_data(user)
    if before is not None:
        changed = [k for k in after if before.get(k) != after[k]]
        before, after = {k: before[k] for k in changed}, {k: after[k] for k in changed}
    audit.record(
        actor=actor,
        action=action,
        obj=user,
        before=before,
        after=after,
        org_path=_user_path(user),
        message=message,
        object_repr=user.username,
    )


def _ensure_wholly_managed(actor: User, user: User) -> None:
    if user.pk == actor.pk:
        raise PermissionDenied(_("不能在这里修改自己的账号"))
    if not selectors.wholly_managed(actor, user):
        raise PermissionDenied(_("该账号在您的管辖范围之外还有角色，只能由管理其全部范围的管理员处理"))


def _drop_tokens(user: User) -> None:
    from jiceng.core.models import ApiToken

    ApiToken.objects.filter(user=user).delete()


def _set_one_time_password(user: User, *, actor: User | None, home_org: Organization | None = None) -> str:
    password = one_time_password()
    user.password = _hash_one_time(password)
    user.save(update_fields=["password"])
    state, _created = AccountState.objects.get_or_create(
        user=user, defaults={"home_org": home_org, "created_by": actor}
    )
    state.must_change_password = True
    state.save(update_fields=["must_change_password"])
    _drop_tokens(user)
    return password


# Roles ----------------------------------------------------------------------------------------------


def _check_grant(actor: User | None, user: User, org: Organization, role: str) -> None:
    if role not in Role.values:
        raise _error("role", _("未知角色：%(role)s") % {"role": role}, "role_unknown")
    if actor is not None:
        # Never wider than the granter's own: only where the granter holds the manage right.
        scope.ensure(actor, scope.MANAGE, org.path)
    if role in (Role.SECRETARY, Role.MEMBER) and org.kind != OrgKind.BRANCH:
        label = Role(role).label
        raise _error("org", _("%(role)s角色只能授予在党支部上") % {"role": label}, "not_branch")
    if role == Role.MEMBER:
        member_org = (
            Member.objects.filter(user=user, closed_on__isnull=True).values_list("org_id", flat=True).first()
        )
        if member_org != org.pk:
            raise _error("role", _("党员角色只能授予在该账号关联党员所在的党支部"), "member_elsewhere")


def _grant(
    *, actor: User | None, user: User, org: Organization, role: str, message: str = ""
) -> RoleAssignment:
    assignment = RoleAssignment.objects.create(user=user, org=org, role=role, granted_by=actor)
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=assignment,
        after=audit.snapshot(assignment),
        org_path=org.path,
        message=message or _("授予角色"),
        object_repr=f"{user.username} · {Role(role).label} · {org.name}",
    )
    scope.forget(user)
    events.publish(
        account_events.ROLE_GRANTED,
        org_path=org.path,
        org_id=org.pk,
        context={"org": org.name, "role": str(role)},
        recipients=[user],
    )
    return assignment


def _withdraw(*, actor: User | None, assignment: RoleAssignment, message: str = "") -> None:
    audit.record(
        actor=actor,
        action=audit.Action.DELETE,
        obj=assignment,
        before=audit.snapshot(assignment),
        org_path=assignment.org.path,
        message=message or _("撤销角色"),
        object_repr=f"{assignment.user.username} · {assignment.get_role_display()} · {assignment.org.name}",
    )
    assignment.delete()
    scope.forget(assignment.user)


@transaction.atomic
def grant_role(*, actor: User, user: User, org: Organization, role: str) -> RoleAssignment:
    """Grant ``role`` on ``org`` (its subtree) to a visible account, where the actor may manage."""
    user = selectors.get_user(actor, user.pk)
    org = Organization.objects.get(pk=org.pk)
    _check_grant(actor, user, org, role)
    if RoleAssignment.objects.filter(user=user, org=org, role=role).exists():
        raise _error("role", _("该账号在%(org)s已有此角色") % {"org": org.name}, "role_held")
    return _grant(actor=actor, user=user, org=org, role=role)


@transaction.atomic
def withdraw_role(*, actor: User, assignment: RoleAssignment) -> None:
    """Withdraw a role the actor could have granted. An administrator never withdraws their own
    administrator role here (nobody locks themselves out by a click)."""
    assignment = RoleAssignment.objects.select_related("org", "user").get(pk=assignment.pk)
    selectors.get_user(actor, assignment.user_id)
    scope.ensure(actor, scope.MANAGE, assignment.org.path)
    if assignment.user_id == actor.pk and assignment.role == Role.ORG_ADMIN:
        raise _error("role", _("不能撤销自己的组织管理员角色"), "own_admin_role")
    _withdraw(actor=actor, assignment=assignment)


# Accounts -------------------------------------------------------------------------------------------


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise _error("username", _("请填写登录名"), "required")
    if len(username) > 150:
        raise _error("username", _("登录名不能超过150个字符"), "too_long")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise _error("username", _("登录名只能包含字母、数字和 @ . + - _"), "username_invalid") from None
    if User.objects.filter(username__iexact=username).exists():
        raise _error("username", _("登录名%(name)s已被使用") % {"name": username}, "username_taken")
    return username


def _link_member(*, actor: User | None, user: User, member: Member) -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.closed_on is not None:
        raise _error("member", _("%(name)s的党籍已终止") % {"name": member.name}, "member_closed")
    if member.user_id is not None:
        raise _error("member", _("%(name)s已有登录账号") % {"name": member.name}, "member_has_account")
    before = audit.snapshot(member)
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    audit.updated(actor=actor, obj=member, before=before, message=_("关联登录账号"))
    return member


@transaction.atomic
def create_user(
    *,
    actor: User,
    username: str,
    full_name: str,
    org: Organization,
    role: str | None = None,
    member: Member | None = None,
) -> tuple[User, str]:
    """A new account under ``org`` with a one-time password (returned, never stored in clear) that must
    be changed at the first sign-in. With ``member`` (a member in the actor's subtree without an
    account) the account is linked to the record and gets the member role on its branch; ``role``
    is granted on ``org`` as well."""
    org = Organization.objects.get(pk=org.pk)
    scope.ensure(actor, scope.MANAGE, org.path)
    username = _check_username(username)
    full_name = (full_name or "").strip()
    if member is not None:
        member = Member.objects.filter(pk=member.pk).first()
        if member is None or not scope.can(actor, scope.MANAGE, member.org_path):
            raise _error("member", _("没有找到该党员"), "unknown_member")
        full_name = full_name or member.name
    if not full_name:
        raise _error("full_name", _("请填写姓名"), "required")
    if len(full_name) > 100:
        raise _error("full_name", _("姓名不能超过100个字符"), "too_long")
    user = User.objects.create_user(username, full_name=full_name)
    AccountState.objects.create(user=user, home_org=org, created_by=actor)
    password = _set_one_time_password(user, actor=actor)
    _audit_user(actor=actor, user=user, action=audit.Action.CREATE, message=_("新建账号（一次性密码）"))
    if member is not None:
        member = _link_member(actor=actor, user=user, member=member)
        _grant(actor=actor, user=user, org=member.org, role=Role.MEMBER)
    if role:
        _check_grant(actor, user, org, role)
        if not RoleAssignment.objects.filter(user=user, org=org, role=role).exists():
            _grant(actor=actor, user=user, org=org, role=role)
    if member is not None:
        sync_secretary_roles(org_ids=[member.org_id], actor=actor)
    return user, password


@transaction.atomic
def reset_password(*, actor: User, user: User) -> str:
    """A new one-time password for an account wholly in the actor's subtree; its API tokens end and it
    must choose its own password at the next sign-in."""
    user = selectors.get_user(actor, user.pk)
    _ensure_wholly_managed(actor, user)
    password = _set_one_time_password(user, actor=actor)
    _audit_user(actor=actor, user=user, action=audit.Action.UPDATE, message=_("重置密码（一次性密码）"))
    return password


@transaction.atomic
def set_active(*, actor: User, user: User, active: bool) -> User:
    """Deactivate (sign-in refused, sessions and tokens no longer accepted) or reactivate an account."""
    user = selectors.get_user(actor, user.pk)
    _ensure_wholly_managed(actor, user)
    if user.is_active == active:
        return user
    before = _user_data(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    if not active:
        _drop_tokens(user)
    _audit_user(
        actor=actor,
        user=user,
        action=audit.Action.UPDATE,
        before=before,
        message=_("启用账号") if active else _("停用账号"),
    )
    return user


@transaction.atomic
def update_user(*, actor: User, user: User, full_name: str) -> User:
    user = selectors.get_user(actor, user.pk)
    _ensure_wholly_managed(actor, user)
    full_name = (full_name or "").strip()
    if not full_name:
        raise _error("full_name", _("请填写姓名"), "required")
    before = _user_data(user)
    user.full_name = full_name[:100]
    user.save(update_fields=["full_name"])
    _audit_user(actor=actor, user=user, action=audit.Action.UPDATE, before=before)
    return user


@transaction.atomic
def change_own_password(*, user: User, new_password: str) -> None:
    """The user's own new password (validated by the password rules); ends the one-time password."""
    password_validation.validate_password(new_password, user)
    if user.check_password(new_password):
        raise _error("new_password1", _("新密码不能与当前密码相同"), "password_unchanged")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    AccountState.objects.update_or_create(
        user=user, defaults={"must_change_password": False, "password_changed_at": timezone.now()}
    )
    _audit_user(actor=user, user=user, action=audit.Action.UPDATE, message=_("修改密码"))


def must_change_password(user: User) -> bool:
    return AccountState.objects.filter(user=user, must_change_password=True).exists()


# Accounts for the recorded secretaries ---------------------------------------------------------------


def _username_for(member: Member, taken: set[str]) -> str:
    base = "".join(c for c in (member.name_pinyin or "") if c.isascii() and c.isalpha()).lower()[:140]
    base = base or f"user{member.pk}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    taken.add(name)
    return name


@dataclass(frozen=True)
class NewAccount:
    branch_code: str
    branch_name: str
    name: str
    username: str
    password: str


@dataclass(frozen=True)
class SecretaryAccounts:
    accounts: list[NewAccount]
    roles_granted: int
    xlsx: bytes | None
    sheet: CredentialSheet | None


def _cell(value: str) -> str:
    """Text as text in a spreadsheet: never a formula (a name typed as =HYPERLINK(...))."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _sheet_bytes(org: Organization, accounts: list[NewAccount]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("书记账号")
    sheet.append([_("党组织编码"), _("党支部"), _("姓名"), _("登录名"), _("一次性密码")])
    for a in accounts:
        sheet.append([_cell(a.branch_code), _cell(a.branch_name), _cell(a.name), a.username, a.password])
    for column, width in zip("ABCDE", (14, 30, 12, 18, 18), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append([])
    sheet.append([_("首次登录后须修改密码；本表只生成一次，请妥善分发后销毁。")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@transaction.atomic
def create_secretary_accounts(*, actor: User, org: Organization) -> SecretaryAccounts:
    """ "Give every branch secretary in this subtree an account": for each recorded secretary without
    one, an account linked to their member record, with the member and secretary roles on their branch
    and a one-time password; a recorded secretary with an account gains the secretary role if missing.
    The answer carries the xlsx of login names and one-time passwords: produced once, its making
    recorded (``CredentialSheet`` and an export in the change record), the passwords in it alone.
    The new roles are announced to their accounts in one batch."""
    with events.batched():
        return _create_secretary_accounts(actor=actor, org=org)


def _create_secretary_accounts(*, actor: User, org: Organization) -> SecretaryAccounts:
    org = Organization.objects.get(pk=org.pk)
    scope.ensure(actor, scope.MANAGE, org.path)
    branches = Organization.objects.filter(path__prefix=org.path, kind=OrgKind.BRANCH)
    found = selectors.recorded_secretaries(branches)
    orgs = {b.pk: b for b in branches.filter(pk__in=list(found))}
    members = {
        m.pk: m
        for m in Member.objects.select_for_update().filter(pk__in=[s.member_id for s in found.values()])
    }
    holders = {
        h.org_id: h for h in SecretaryHolder.objects.select_for_update().filter(org_id__in=list(found))
    }
    taken = set(
        User.objects.filter(
            username__in={_username_for(m, set()) for m in members.values() if m.user_id is None}
        ).values_list("username", flat=True)
    )
    prefixes = {_username_for(m, set()) for m in members.values() if m.user_id is None}
    for prefix in prefixes:
        taken.update(
            u.lower()
            for u in User.objects.filter(username__istartswith=prefix).values_list("username", flat=True)
        )
    created: list[NewAccount] = []
    granted = 0
    for branch_id, sec in sorted(found.items(), key=lambda item: orgs[item[0]].path):
        branch = orgs[branch_id]
        member = members[sec.member_id]
        user = member.user
        if user is None:
            username = _username_for(member, taken)
            user = User.objects.create_user(username, full_name=member.name)
            AccountState.objects.create(user=user, home_org=branch, created_by=actor)
            password = _set_one_time_password(user, actor=actor)
            _audit_user(
                actor=actor, user=user, action=audit.Action.CREATE, message=_("为书记新建账号（一次性密码）")
            )
            _link_member(actor=actor, user=user, member=member)
            created.append(NewAccount(branch.code, branch.name, member.name, username, password))
        if not RoleAssignment.objects.filter(user=user, org=branch, role=Role.MEMBER).exists():
            _grant(actor=actor, user=user, org=branch, role=Role.MEMBER)
        if not RoleAssignment.objects.filter(user=user, org=branch, role=Role.SECRETARY).exists():
            _grant(actor=actor, user=user, org=branch, role=Role.SECRETARY, message=_("书记账号"))
            granted += 1
        holder = holders.get(branch_id) or SecretaryHolder(org=branch)
        holder.member, holder.user = member, user
        holder.save()
    if not created and not granted:
        raise _error("org", _("此范围内已记录的书记都已有账号和书记角色"), "nothing_to_create")
    xlsx = sheet = None
    if created:
        xlsx = _sheet_bytes(org, created)
        sheet = CredentialSheet.objects.create(
            org=org,
            org_path=org.path,
            created_by=actor,
            accounts=len(created),
            sha256=hashlib.sha256(xlsx).hexdigest(),
        )
        audit.record(
            actor=actor,
            action=audit.Action.EXPORT,
            obj=sheet,
            after={
                "accounts": len(created),
                "usernames": [a.username for a in created],
                "sha256": sheet.sha256,
            },
            message=_("书记账号一次性密码表（%(n)d个账号）") % {"n": len(created)},
        )
    return SecretaryAccounts(accounts=created, roles_granted=granted, xlsx=xlsx, sheet=sheet)


# Roles that follow posts -----------------------------------------------------------------------------


def _cause_actor() -> User | None:
    """Who caused the change being followed: the user of the latest change record of this request (the
    election, the appointment, the transfer), so that the role's move is filed under them too."""
    user_id = (
        ObjectChange.objects.filter(request_id=current().request_id, user__isnull=False)
        .order_by("-id")
        .values_list("user_id", flat=True)
        .first()
    )
    return User.objects.filter(pk=user_id).first() if user_id else None


def _notify(notice: AdminNotice) -> None:
    """The one place a notice is published: the event "secretary changed" for the administrators over
    ``notice.org_path`` (inbox, e-mail, SMS as each chose), delivered after the change commits."""
    events.publish(
        account_events.SECRETARY_CHANGED,
        org_path=notice.org_path,
        org_id=notice.org_id,
        context={
            "org": notice.org.name,
            "outgoing": notice.outgoing_name,
            "incoming": notice.incoming_name,
            "incoming_has_account": bool(notice.incoming_user_id),
        },
    )


def _member_role_follows(*, actor: User | None, user_id: int) -> None:
    """The member role sits on the branch of the account's member record (a transfer moves it)."""
    member = Member.objects.filter(user_id=user_id, closed_on__isnull=True).select_related("org").first()
    roles = list(
        RoleAssignment.objects.filter(user_id=user_id, role=Role.MEMBER).select_related("org", "user")
    )
    for assignment in roles:
        if member is None or assignment.org_id != member.org_id:
            _withdraw(actor=actor, assignment=assignment, message=_("党员角色随组织关系转移"))
    if member is not None and not any(r.org_id == member.org_id for r in roles):
        _grant(
            actor=actor, user=member.user, org=member.org, role=Role.MEMBER, message=_("党员角色随组织关系")
        )


@transaction.atomic
def sync_secretary_roles(
    *,
    org_paths: Iterable[str] = (),
    org_ids: Iterable[int] = (),
    member_ids: Iterable[int] = (),
    actor: User | None = None,
) -> list[AdminNotice]:
    """Make the secretary role follow the post in the branches under ``org_paths`` (prefixes), the
    branches ``org_ids`` and the branches where ``member_ids`` are, were or are recorded secretary.

    For each branch the recorded secretary (``selectors.recorded_secretaries``) is compared with the
    one the role was last given to (``SecretaryHolder``). Only a difference moves anything: the
    outgoing secretary's account loses the secretary role on the branch and keeps (or gets) its member
    role on its own branch; the incoming one's account gains the secretary role and the member role.
    Each change is audited, and a change of person leaves a notice for the administrators (also when
    the new secretary has no account yet: the notice says so); a branch met for the first time (no
    holder yet) gets its holder without a notice. Returns the notices made.
    """
    org_paths, org_ids, member_ids = set(org_paths), set(org_ids), set(member_ids)
    if not (org_paths or org_ids or member_ids):
        return []
    actor = actor if actor is not None else _cause_actor()
    q = scope.path_q("path", scope.minimal_prefixes(org_paths)) | Q(pk__in=org_ids)
    if member_ids:
        from jiceng.orgs.models import CommitteePost

        q |= (
            Q(pk__in=SecretaryHolder.objects.filter(member_id__in=member_ids).values("org_id"))
            | Q(pk__in=Member.objects.filter(pk__in=member_ids).values("org_id"))
            | Q(pk__in=CommitteePost.objects.filter(member_id__in=member_ids).values("committee__org_id"))
            | Q(secretary_id__in=member_ids)
        )
    branches = Organization.objects.filter(q, kind=OrgKind.BRANCH)
    found = selectors.recorded_secretaries(branches)
    holders = {h.org_id: h for h in SecretaryHolder.objects.select_for_update().filter(org__in=branches)}
    notices: list[AdminNotice] = []
    for branch in branches.order_by("path"):
        sec = found.get(branch.pk)
        want = (sec.member_id, sec.user_id) if sec else (None, None)
        holder = holders.get(branch.pk)
        have = (holder.member_id, holder.user_id) if holder else (None, None)
        if want == have:
            if holder is None:  # met for the first time, without a secretary: known from now on
                SecretaryHolder.objects.create(org=branch)
            continue
        out_user, in_user = have[1], want[1]
        if out_user and out_user != in_user:
            for assignment in RoleAssignment.objects.filter(
                user_id=out_user, org=branch, role=Role.SECRETARY
            ).select_related("org", "user"):
                _withdraw(actor=actor, assignment=assignment, message=_("书记职务变动，撤销书记角色"))
            _member_role_follows(actor=actor, user_id=out_user)
        if in_user and in_user != out_user:
            incoming = User.objects.get(pk=in_user)
            _member_role_follows(actor=actor, user_id=in_user)
            if not RoleAssignment.objects.filter(user=incoming, org=branch, role=Role.SECRETARY).exists():
                _grant(
                    actor=actor,
                    user=incoming,
                    org=branch,
                    role=Role.SECRETARY,
                    message=_("书记职务变动，授予书记角色"),
                )
        holder_existed = holder is not None
        if holder is None:
            holder = SecretaryHolder(org=branch)
        outgoing_member_id = holder.member_id
        holder.member_id, holder.user_id = want
        holder.save()
        # A branch seen for the first time (created, or imported, since the holders were started by
        # migration 0002) starts silently: its first secretary is a record, not a change of post.
        if holder_existed and want[0] != have[0]:
            outgoing_name = (
                Member.objects.filter(pk=outgoing_member_id).values_list("name", flat=True).first() or ""
                if outgoing_member_id
                else ""
            )
            notice = AdminNotice.objects.create(
                org=branch,
                org_path=branch.path,
                kind=AdminNotice.Kind.SECRETARY_CHANGED,
                outgoing_name=outgoing_name,
                outgoing_user_id=out_user,
                incoming_member_id=want[0],
                incoming_name=sec.name if sec else "",
                incoming_user_id=in_user,
            )
            notices.append(notice)
            _notify(notice)
    return notices


@transaction.atomic
def dismiss_notices(*, actor: User, notice_ids: Iterable[int] | None = None) -> int:
    """Mark notices in the actor's subtree as read (all of them when ``notice_ids`` is None)."""
    notices = selectors.open_notices(actor)
    if notice_ids is not None:
        notices = notices.filter(pk__in=list(notice_ids))
    return AdminNotice.objects.filter(pk__in=list(notices.values_list("pk", flat=True))).update(
        dismissed_at=timezone.now(), dismissed_by=actor
    )


# Activation by the member ----------------------------------------------------------------------------


def _code_digest(member_id: int | str, code: str) -> str:
    normalized = "".join(c for c in code.upper() if c.isalnum())
    return salted_hmac(
        "jiceng.accounts.activation", f"{member_id}:{normalized}", algorithm="sha256"
    ).hexdigest()


def _holder_key(*, member: Member | None = None, development: Development | None = None) -> str | int:
    """What a code's digest is keyed by: the member's id, or ``d<id>`` for a development file."""
    return member.pk if member is not None else f"d{development.pk if development else 0}"


def _new_code(*, actor: User, now: dt.datetime, **holder: Any) -> tuple[ActivationCode, str]:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    code = f"{raw[:4]}-{raw[4:]}"
    activation = ActivationCode.objects.create(
        code_digest=_code_digest(_holder_key(**holder), code),
        created_by=actor,
        expires_at=now + dt.timedelta(days=ACTIVATION_CODE_DAYS),
        **holder,
    )
    audit.created(actor=actor, obj=activation, message=_("生成激活码"))
    return activation, code


@transaction.atomic
def issue_activation_code(*, actor: User, member: Member) -> tuple[ActivationCode, str]:
    """A new code for one member without an account (earlier unused codes of theirs end). Shown once."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    scope.ensure(actor, scope.CHANGE, member.org_path)
    if member.closed_on is not None:
        raise _error("member", _("%(name)s的党籍已终止") % {"name": member.name}, "member_closed")
    if member.user_id is not None:
        raise _error("member", _("%(name)s已有登录账号") % {"name": member.name}, "member_has_account")
    now = timezone.now()
    ActivationCode.objects.filter(member=member, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    return _new_code(actor=actor, now=now, member=member)


def _file_has_account(development: Development) -> bool:
    """The person of the file already has an account: the file's, an earlier file's or the member's."""
    if development.user_id is not None:
        return True
    if development.member_id is not None and development.member.user_id is not None:
        return True
    return (
        Development.objects.filter(id_number_digest=development.id_number_digest, user__isnull=False).exists()
        or Member.objects.filter(
            id_number_digest=development.id_number_digest, closed_on__isnull=True, user__isnull=False
        ).exists()
    )


@transaction.atomic
def issue_development_code(*, actor: User, development: Development) -> tuple[ActivationCode, str]:
    """A new code for the person of an open development file (入党申请人, 积极分子, 发展对象, 预备党员)
    who has no account yet; earlier unused codes of the file end. Shown once, as for members."""
    development = (
        Development.objects.select_for_update(of=("self",)).select_related("member").get(pk=development.pk)
    )
    scope.ensure(actor, scope.CHANGE, development.org_path)
    if development.stage not in OPEN_STAGES:
        raise _error(
            "development",
            _("%(name)s的发展党员档案已结束（%(stage)s）")
            % {"name": development.name, "stage": development.get_stage_display()},
            "development_closed",
        )
    if _file_has_account(development):
        raise _error(
            "development", _("%(name)s已有登录账号") % {"name": development.name}, "development_has_account"
        )
    now = timezone.now()
    ActivationCode.objects.filter(development=development, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    return _new_code(actor=actor, now=now, development=development)


class ActivationRefused(Exception):
    """Too many failed activations from this address or for this identity number."""


def _too_many(*, id_digest: str, ip_address: str | None) -> bool:
    since = timezone.now() - ATTEMPT_WINDOW
    recent = ActivationAttempt.objects.filter(at__gte=since)
    if recent.filter(id_digest=id_digest).count() >= ATTEMPTS_PER_ID:
        return True
    return bool(ip_address) and recent.filter(ip_address=ip_address).count() >= ATTEMPTS_PER_ADDRESS


def _wrong() -> ValidationError:
    # One message for a wrong number, a wrong or spent code and a non-member alike.
    return ValidationError(
        {"code": ValidationError(_("公民身份号码或激活码不正确，或激活码已失效"), code="activation_invalid")}
    )


def _valid_codes(*, now: dt.datetime, **holder: Any) -> list[ActivationCode]:
    return list(ActivationCode.objects.filter(used_at__isnull=True, expires_at__gt=now, **holder))


def activate_account(
    *, id_number: str, code: str, username: str, password: str, ip_address: str | None
) -> User:
    """A person opens their own account: identity number + a valid code from their branch, then the
    login name and password they choose. The number is a current member's, or that on an open
    development file (an applicant, activist, candidate without a member record yet). Failed attempts
    are counted per identity number and per address (``ActivationRefused`` past the limits); the
    answer never says whether the number belongs to a member or an applicant."""
    number = idnumber.normalize(id_number)[:64]
    id_digest = crypto.digest(number)
    if _too_many(id_digest=id_digest, ip_address=ip_address):
        raise ActivationRefused
    member = Member.objects.filter(id_number_digest=id_digest, closed_on__isnull=True).first()
    development = (
        Development.objects.filter(id_number_digest=id_digest, stage__in=OPEN_STAGES)
        .select_related("member")
        .first()
    )
    now = timezone.now()
    match = None
    holders: list[tuple[dict[str, Any], str]] = []
    if member is not None:
        holders.append(({"member": member}, _code_digest(member.pk, code or "")))
    if development is not None:
        holders.append(({"development": development}, _code_digest(f"d{development.pk}", code or "")))
    if not holders:  # the same work as for a number that has a holder: nothing to learn from the time
        _code_digest(0, code or "")
    for holder, digest in holders:
        for candidate in _valid_codes(now=now, **holder):
            if constant_time_compare(candidate.code_digest, digest):
                match = candidate
    if match is not None and match.development_id is not None and _file_has_account(development):
        match = None
    if match is None or (match.member_id is not None and member.user_id is not None):
        ActivationAttempt.objects.create(ip_address=ip_address, id_digest=id_digest)
        raise _wrong()
    if match.development_id is not None:
        return _activate_applicant(
            development=development, activation=match, username=username, password=password
        )
    return _activate(member=member, activation=match, username=username, password=password)


def _new_account(*, name: str, home_org: Organization, username: str, password: str) -> User:
    username = _check_username(username)
    probe = User(username=username, full_name=name)
    try:
        password_validation.validate_password(password, probe)
    except ValidationError as e:
        raise ValidationError({"password": e.error_list}) from None
    user = User.objects.create_user(username, password=password, full_name=name)
    AccountState.objects.create(user=user, home_org=home_org, password_changed_at=timezone.now())
    return user


def _use(*, user: User, activation: ActivationCode) -> None:
    before = audit.snapshot(activation)
    activation.used_at = timezone.now()
    activation.save(update_fields=["used_at"])
    audit.updated(actor=user, obj=activation, before=before, message=_("激活码已使用"))


@transaction.atomic
def _activate(*, member: Member, activation: ActivationCode, username: str, password: str) -> User:
    activation = ActivationCode.objects.select_for_update().get(pk=activation.pk)
    if activation.used_at is not None:
        raise _wrong()
    user = _new_account(name=member.name, home_org=member.org, username=username, password=password)
    _audit_user(actor=user, user=user, action=audit.Action.CREATE, message=_("党员凭激活码开通账号"))
    member = _link_member(actor=user, user=user, member=member)
    _grant(actor=user, user=user, org=member.org, role=Role.MEMBER, message=_("开通账号"))
    _use(user=user, activation=activation)
    # A recorded secretary who opens their own account gains the secretary role.
    sync_secretary_roles(org_ids=[member.org_id], actor=user)
    return user


def _link_development(*, actor: User | None, user: User, development: Development) -> Development:
    development = Development.objects.select_for_update().get(pk=development.pk)
    before = audit.snapshot(development)
    development.user = user
    development.save(update_fields=["user", "updated_at"])
    audit.updated(actor=actor, obj=development, before=before, message=_("关联登录账号"))
    return development


@transaction.atomic
def _activate_applicant(
    *, development: Development, activation: ActivationCode, username: str, password: str
) -> User:
    """The person of a development file opens their account: linked to the file (and to its member
    record when the file has one already, with the member role on its branch). No other role: what
    they see is their own file on 我的."""
    activation = ActivationCode.objects.select_for_update().get(pk=activation.pk)
    if activation.used_at is not None:
        raise _wrong()
    user = _new_account(name=development.name, home_org=development.org, username=username, password=password)
    _audit_user(actor=user, user=user, action=audit.Action.CREATE, message=_("入党申请人凭激活码开通账号"))
    development = _link_development(actor=user, user=user, development=development)
    _use(user=user, activation=activation)
    if development.member_id is not None:
        member = _link_member(actor=user, user=user, member=development.member)
        _grant(actor=user, user=user, org=member.org, role=Role.MEMBER, message=_("开通账号"))
        sync_secretary_roles(org_ids=[member.org_id], actor=user)
    return user


# The account follows the file: a member record made from it (admission) ------------------------------


@transaction.atomic
def follow_development_accounts(*, development_ids: Iterable[int], actor: User | None = None) -> int:
    """Link the account of each development file to the member record the file became (the admitting
    meeting makes it) and grant the member role on its branch, so that the account the applicant opened
    keeps working and shows the member's home. Called on commit by ``signals``; a record that already
    has an account (or an account already linked to another record) is left alone. Returns how many
    were linked."""
    actor = actor if actor is not None else _cause_actor()
    files = Development.objects.filter(
        pk__in=list(development_ids), user__isnull=False, member__isnull=False, member__user__isnull=True
    ).select_related("user", "member", "member__org")
    linked = 0
    for development in files:
        user = development.user
        if Member.objects.filter(user=user).exists() or development.member.closed_on is not None:
            continue
        member = _link_member(actor=actor, user=user, member=development.member)
        if not RoleAssignment.objects.filter(user=user, org=member.org, role=Role.MEMBER).exists():
            _grant(
                actor=actor,
                user=user,
                org=member.org,
                role=Role.MEMBER,
                message=_("接收为预备党员，账号随档案"),
            )
        linked += 1
    return linked
