"""Shared by the accounts tests: a committee with a secretary for branch A, codes, clients."""

from __future__ import annotations

import contextlib
import datetime as dt

from django.db import transaction

from jiceng.orgs import services as orgs


def elect(world, *, secretary, others=(), on=dt.date(2024, 1, 10), actor=None):
    """Record an election in ``secretary``'s branch with ``secretary`` as 书记."""
    posts = [(secretary, "secretary"), *[(m, "organization_member") for m in others]]
    return orgs.record_election(
        actor=actor or world.county_admin, org=secretary.org, elected_on=on, posts=posts
    )


@contextlib.contextmanager
def committed():
    """Run the transaction's on-commit work as a commit would, the world fixture's included.

    (Django's ``captureOnCommitCallbacks`` runs only callbacks registered inside its block; the roles'
    batch of a transaction is registered by its first write, which may be the fixture's.)
    """
    connection = transaction.get_connection()
    yield
    while connection.run_on_commit:
        _sids, func, *_rest = connection.run_on_commit.pop(0)
        func()
