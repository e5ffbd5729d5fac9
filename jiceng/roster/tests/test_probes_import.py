"""Issue 11, item 10 through the import: a members.csv or development.csv row whose identity number is
held elsewhere is refused as before, and the refusal is recorded (the number's digest, never the
number) where the higher committee's admins see it, and counts toward the per-user limit."""

from __future__ import annotations

import pytest

from jiceng.core import crypto
from jiceng.core.models import ObjectChange
from jiceng.members.models import Member

from .helpers import MEMBER_HEADERS, codes, member, reading, run, write_csv  # noqa: F401 (reading: fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reading")]


def _refusals(user) -> list[ObjectChange]:  # noqa: ANN001
    return list(ObjectChange.objects.filter(user=user, action="id_refused").order_by("id"))


def test_a_number_held_in_another_branch_is_refused_and_recorded(world, tmp_path) -> None:  # noqa: ANN001
    held = member("甲", 91, "0102")  # bob's branch, out of alice's sight
    assert run(write_csv(tmp_path / "b.csv", [held], MEMBER_HEADERS)).ok
    number = held["公民身份号码"]
    probe = write_csv(tmp_path / "a.csv", [{**held, "所在党组织编码": "0101"}], MEMBER_HEADERS)
    before = Member.objects.count()
    result = run(probe, actor=world.alice)
    assert "member_elsewhere" in codes(result) and Member.objects.count() == before
    [record] = _refusals(world.alice)
    assert record.postchange_data == {"code": "member_elsewhere", "id_number_digest": crypto.digest(number)}
    assert record.org_path == world.branch_a.path  # where it was tried: the street's admins see it
    assert number not in str(record.postchange_data) + record.object_repr + record.message
    # A check-only run probes as well, and is recorded as well.
    run(probe, actor=world.alice, check=True)
    assert len(_refusals(world.alice)) == 2


def test_past_the_limit_no_import_runs(world, tmp_path, settings) -> None:  # noqa: ANN001
    settings.ID_REFUSAL_LIMIT = 1
    held = member("甲", 91, "0102")
    assert run(write_csv(tmp_path / "b.csv", [held], MEMBER_HEADERS)).ok
    run(
        write_csv(tmp_path / "a.csv", [{**held, "所在党组织编码": "0101"}], MEMBER_HEADERS), actor=world.alice
    )
    fresh = write_csv(tmp_path / "c.csv", [member("乙", 93, "0101")], MEMBER_HEADERS)
    result = run(fresh, actor=world.alice)
    assert codes(result) == ["too_many_refusals"]
    assert not Member.objects.filter(name="乙").exists()
    assert "too_many_refusals" not in codes(run(fresh, actor=world.county_admin))
