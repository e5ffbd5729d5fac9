"""The members' reading process is forked before the organizations are written, and ended whatever
happens to the run."""

import multiprocessing

import pytest

from jiceng.members.models import Member
from jiceng.roster import parallel
from jiceng.roster.handlers.orgs import OrgsHandler

from .helpers import MEMBER_HEADERS, ORG_HEADERS, member, org, run, write_csv

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not parallel.available_here(), reason="no fork or a single core"),
]


@pytest.fixture
def files(world, tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    orgs = write_csv(
        tmp_path / "orgs.csv", [org("0104", "新建社区党支部", "01", elected="2023-06-01")], ORG_HEADERS
    )
    members = write_csv(
        tmp_path / "members.csv",
        [member("李书记", 1, "0104", 党内职务="书记"), member("赵党员", 5, "0104", 姓名="")],
        MEMBER_HEADERS,
    )
    return orgs, members


def test_the_reading_process_runs_while_the_organizations_are_written(files, monkeypatch):
    seen = []
    process = OrgsHandler.process

    def spy(self, source, layout):
        seen.append(len(multiprocessing.active_children()))
        return process(self, source, layout)

    monkeypatch.setattr(OrgsHandler, "process", spy)
    result = run(*files)
    assert seen == [1]
    assert [(p.row, p.code) for p in result.all_problems()] == [(3, "required")]
    assert multiprocessing.active_children() == []


def test_a_failure_while_writing_the_organizations_ends_the_reading_process(files, monkeypatch):
    def boom(self, source, layout):
        assert len(multiprocessing.active_children()) == 1
        raise RuntimeError("boom")

    monkeypatch.setattr(OrgsHandler, "process", boom)
    with pytest.raises(RuntimeError, match="boom"):
        run(*files)
    assert multiprocessing.active_children() == []
    assert not Member.objects.filter(name="李书记").exists()
