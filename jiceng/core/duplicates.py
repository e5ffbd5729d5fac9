"""Records that hold one identity number twice, found after the numbers are normalized.

Before ``core.normalize`` a number typed with full-width or Arabic-Indic digits passed validation and
got a digest of its own, so one person could be registered twice. The data migrations of ``members``
and ``development`` call ``renormalize`` once: every stored number is decrypted, normalized and
digested again; a number whose spelling changes is rewritten when no other record holds it; records
that now share a number are **reported, never deleted or merged**: a warning in the log and an
``id_duplicate`` change record on each of them, under its organization, so the organization admins
see it in their audit search and the branches can settle which record is right.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from . import crypto, idnumber

logger = logging.getLogger("jiceng.duplicates")


def renormalize(
    model: Any,
    *,
    object_change: Any,
    content_type: Any,
    rows: Iterable[Any] | None = None,
    held_elsewhere: dict[str, str] | None = None,
    unique: bool = True,
) -> list[list[int]]:
    """Normalize the stored numbers of ``model`` (a migration's historical model) and report duplicates.

    ``held_elsewhere`` maps digests of other records (e.g. current members, for development files)
    to a description; a record whose number is among them is reported too. Returns the groups of
    primary keys that share a number. With ``unique`` (the digest is a unique column) the records of
    a group keep their stored number, since they cannot take one digest together.
    """
    if rows is None:
        rows = model.objects.all()
    by_digest: dict[str, list[Any]] = defaultdict(list)
    rewrite: dict[int, str] = {}
    unreadable = 0
    for row in rows.only("pk", "name", "org_path", "id_number_cipher", "id_number_digest").iterator():
        try:
            stored = crypto.decrypt(row.id_number_cipher)
        except Exception:  # noqa: BLE001 (another key: nothing can be compared)
            unreadable += 1
            continue
        number = idnumber.normalize(stored)
        digest = crypto.digest(number)
        by_digest[digest].append(row)
        if number != stored or digest != row.id_number_digest:
            rewrite[row.pk] = number
    if unreadable:
        logger.warning(
            "%s: %d identity numbers could not be decrypted and were not checked", model.__name__, unreadable
        )
    held_elsewhere = held_elsewhere or {}
    groups: list[list[int]] = []
    request_id = uuid.uuid4()
    for digest, holders in by_digest.items():
        elsewhere = held_elsewhere.get(digest)
        if len(holders) < 2 and elsewhere is None:
            continue
        pks = [h.pk for h in holders]
        groups.append(pks)
        for holder in holders:
            if unique:
                rewrite.pop(holder.pk, None)
            others = [p for p in pks if p != holder.pk]
            parts = []
            if others:
                parts.append(
                    _("公民身份号码与%(kind)s记录%(others)s相同")
                    % {"kind": model._meta.verbose_name, "others": "、".join(map(str, others))}
                )
            if elsewhere:
                parts.append(_("公民身份号码与%(other)s相同") % {"other": elsewhere})
            message = "；".join(parts)
            logger.warning(
                "%s %s (%s, %s): duplicate identity number: %s",
                model.__name__,
                holder.pk,
                holder.name,
                holder.org_path,
                message,
            )
            object_change.objects.create(
                request_id=request_id,
                source="cli",
                action="id_duplicate",
                content_type=content_type,
                object_id=holder.pk,
                object_repr=holder.name[:200],
                org_path=holder.org_path,
                postchange_data={"id_number_digest": digest, "others": others},
                message=message[:255],
            )
    for pk, number in rewrite.items():
        model.objects.filter(pk=pk).update(
            id_number_cipher=crypto.encrypt(number),
            id_number_digest=crypto.digest(number),
            id_number_masked=idnumber.mask(number),
        )
    return groups
