import pytest

from jiceng.development.models import Stage
from jiceng.development.tests.helpers import walk


@pytest.mark.django_db
def test_whole_path(world):
    d = walk(world)
    assert d.stage == Stage.FULL
    m = d.member
    assert m.status == "full" and m.full_member_on == m.joined_on.replace(year=m.joined_on.year + 1)
