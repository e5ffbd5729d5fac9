"""Roles follow posts: whenever committees, posts, branches or members change, or an import commits,
``services.sync_secretary_roles`` runs once for what the transaction touched, after it commits. An
applicant's account follows their development file: when the file has an account and a member record
(the admitting meeting made it), ``services.follow_development_accounts`` links the two on commit.

The receivers do no query (they run inside the writes of other apps, whose query counts are tested):
they note ids and paths in one batch per transaction, which ``transaction.on_commit`` runs. The
import (``jiceng.roster.importer.imported``) writes rows directly, without model signals, and sends
its own signal with the subtree it touched.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jiceng.development.models import Development
from jiceng.members.models import Member
from jiceng.orgs.models import Committee, CommitteePost, Organization, OrgKind
from jiceng.roster.importer import imported

SESSION_FLAG = "jiceng_must_change_password"


class _Batch:
    """What one transaction touched; called once on commit."""

    def __init__(self) -> None:
        self.org_paths: set[str] = set()
        self.org_ids: set[int] = set()
        self.member_ids: set[int] = set()
        self.committee_ids: set[int] = set()
        self.development_ids: set[int] = set()

    def __call__(self) -> None:
        from . import services

        org_ids = set(self.org_ids)
        if self.committee_ids:
            org_ids.update(
                Committee.objects.filter(pk__in=self.committee_ids).values_list("org_id", flat=True)
            )
        services.sync_secretary_roles(org_paths=self.org_paths, org_ids=org_ids, member_ids=self.member_ids)
        if self.development_ids:
            services.follow_development_accounts(development_ids=self.development_ids)


def _batch() -> tuple[_Batch, bool]:
    """The open transaction's batch (registered on commit), or a new one to run at once."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return _Batch(), True
    for _sids, func, *_rest in connection.run_on_commit:
        if isinstance(func, _Batch):
            return func, False
    batch = _Batch()
    transaction.on_commit(batch)
    return batch, False


def _note(
    *,
    org_paths: tuple[str, ...] = (),
    org_ids: tuple[int, ...] = (),
    member_ids: tuple = (),
    committee_ids: tuple = (),
    development_ids: tuple = (),
) -> None:
    batch, now = _batch()
    batch.org_paths.update(p for p in org_paths if p)
    batch.org_ids.update(i for i in org_ids if i)
    batch.member_ids.update(i for i in member_ids if i)
    batch.committee_ids.update(i for i in committee_ids if i)
    batch.development_ids.update(i for i in development_ids if i)
    if now:
        batch()


@receiver([post_save, post_delete], sender=CommitteePost)
def _post_changed(sender: Any, instance: CommitteePost, **kwargs: Any) -> None:
    _note(committee_ids=(instance.committee_id,), member_ids=(instance.member_id,))


@receiver([post_save, post_delete], sender=Committee)
def _committee_changed(sender: Any, instance: Committee, **kwargs: Any) -> None:
    _note(org_ids=(instance.org_id,))


@receiver(post_save, sender=Organization)
def _branch_changed(sender: Any, instance: Organization, **kwargs: Any) -> None:
    if instance.kind == OrgKind.BRANCH:
        _note(org_ids=(instance.pk,))


@receiver(post_save, sender=Member)
def _member_changed(sender: Any, instance: Member, created: bool = False, **kwargs: Any) -> None:
    if not created:  # a new member holds no post yet
        _note(member_ids=(instance.pk,))


@receiver(post_save, sender=Development)
def _development_changed(sender: Any, instance: Development, **kwargs: Any) -> None:
    if instance.user_id and instance.member_id:  # an applicant's account, and the member record made
        _note(development_ids=(instance.pk,))


@receiver(imported)
def _import_committed(sender: Any, org_paths: tuple[str, ...] = (), **kwargs: Any) -> None:
    from . import services

    if org_paths:
        services.sync_secretary_roles(org_paths=org_paths)


@receiver(user_logged_in)
def _remember_must_change(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Keep the first-login flag in the session, so the middleware asks no database on each request.

    An API token request by an account that must still change its one-time password is refused: the
    password is for the first sign-in on the page, not for a lasting token.
    """
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from .services import must_change_password

    flagged = must_change_password(user)
    if request is not None and request.path.startswith("/api/"):
        if flagged:
            from jiceng.core.models import ApiToken

            ApiToken.objects.filter(user=user).delete()  # made just before this signal; never handed out
            raise PermissionDenied(_("请先在网页上登录并修改一次性密码"))
        return
    if request is not None and hasattr(request, "session"):
        if flagged:
            request.session[SESSION_FLAG] = True
        else:
            request.session.pop(SESSION_FLAG, None)
