from hypothesis import given
from hypothesis import strategies as st

from jiceng.core import scope

paths = st.lists(st.text(alphabet="0123", min_size=1, max_size=4).map(lambda s: "0001" + s * 4), max_size=12)


@given(paths, st.text(alphabet="0123", max_size=16).map(lambda s: "0001" + s))
def test_minimal_prefixes_cover_exactly_what_the_paths_cover(granted, probe):
    kept = scope.minimal_prefixes(granted)
    assert scope.covers(kept, probe) == any(probe.startswith(p) for p in granted)
    assert not any(a != b and b.startswith(a) for a in kept for b in kept)


def test_roles_grant_actions_on_their_subtree_only(world):
    a, b, root = world.branch_a, world.branch_b, world.root
    assert scope.can(world.alice, scope.CHANGE, a.path)
    assert not scope.can(world.alice, scope.VIEW, b.path)
    assert not scope.can(world.alice, scope.VIEW, root.path)
    assert not scope.can(world.alice, scope.MANAGE, a.path)
    assert scope.can(world.viewer, scope.VIEW, world.branch_c.path)
    assert not scope.can(world.viewer, scope.CHANGE, world.branch_c.path)
    assert scope.can(world.county_admin, scope.AUDIT, world.branch_c.path)
    for user in (world.charlie, world.dora, world.sysadmin):
        assert not scope.can(user, scope.VIEW, root.path)


def test_inactive_user_has_no_scope(world):
    world.county_admin.is_active = False
    assert scope.paths_for(world.county_admin, scope.VIEW) == ()
