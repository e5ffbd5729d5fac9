"""A subtree moved: every row that places itself in the tree by a path column follows it.

Rows carry their organization's path (``org_path``, ``issuer_path`` …) so that scoping is one
indexed prefix filter. When ``orgs`` moves a subtree it calls :func:`repath` inside its transaction.
Every model whose default manager is a :class:`~jiceng.core.scope.ScopedQuerySet` with a plain path
column is rewritten here, whatever app it belongs to (the change record included: who may read a
row follows the tree of today, never the tree of the day it was written); a model with further path
columns names them in ``moved_path_fields``. Apps whose figures are keyed by path (task tallies)
connect to :data:`subtree_moved` and rebuild them.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.dispatch import Signal

from .scope import ScopedQuerySet

#: Sent after the rows were repathed: ``old_prefix``, ``new_prefix`` (inside the mover's transaction).
subtree_moved = Signal()


def path_fields(model: type[models.Model]) -> list[str]:
    fields: list[str] = list(getattr(model, "moved_path_fields", ()))
    qs = model._default_manager.get_queryset()
    field = getattr(qs, "scope_path_field", None) if isinstance(qs, ScopedQuerySet) else None
    if field and "__" not in field and field not in fields:
        fields.append(field)
    return [f for f in fields if _is_column(model, f)]


def _is_column(model: type[models.Model], name: str) -> bool:
    try:
        return isinstance(model._meta.get_field(name), models.CharField)
    except Exception:  # noqa: BLE001
        return False


def repath(old_prefix: str, new_prefix: str, *, skip: tuple[type[models.Model], ...] = ()) -> dict[str, int]:
    """Rewrite ``old_prefix…`` to ``new_prefix…`` in every path column; the count per model."""
    counts: dict[str, int] = {}
    if old_prefix == new_prefix:
        return counts
    for model in apps.get_models():
        if model in skip or model._meta.proxy or not model._meta.managed:
            continue
        for field in path_fields(model):
            n = model._default_manager.filter(**{f"{field}__prefix": old_prefix}).update(
                **{field: Concat(Value(new_prefix), Substr(F(field), len(old_prefix) + 1))}
            )
            if n:
                counts[f"{model._meta.label}.{field}"] = n
    subtree_moved.send(sender=None, old_prefix=old_prefix, new_prefix=new_prefix)
    return counts
