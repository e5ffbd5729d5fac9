from jiceng.members import selectors
from jiceng.orgs import selectors as org_selectors


def test_secretary_sees_only_own_branch(world):
    names = set(selectors.member_list(world.alice).values_list("name", flat=True))
    assert names == {"张伟", "王芳", "李娜", "刘洋", "陈静", "赵敏"}
    assert list(org_selectors.visible_orgs(world.alice)) == [world.branch_a]


def test_county_admin_sees_subtree(world):
    assert selectors.member_list(world.county_admin).count() == 10
    assert selectors.member_list(world.county_admin, org=world.general).count() == 1


def test_member_sees_only_self_and_no_org(world):
    assert list(selectors.member_list(world.dora).values_list("name", flat=True)) == ["赵敏"]
    assert not org_selectors.visible_orgs(world.dora).exists()


def test_outsider_and_sysadmin_without_role_see_nothing(world):
    assert not selectors.member_list(world.charlie).exists()
    assert not selectors.member_list(world.sysadmin).exists()
