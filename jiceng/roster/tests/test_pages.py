"""The import page (upload → report → bad rows → confirm → background run → summary) and the export
button's target, with their scope: pages answer 404 outside it, 403 for what is visible but not allowed."""

import datetime as dt
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from conftest import make_id
from jiceng.core.models import ObjectChange
from jiceng.members.models import Member
from jiceng.roster.models import ImportJob

from .helpers import MEMBER_HEADERS, ORG_HEADERS, member, org, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.urls("jiceng.roster.tests.urls")]


def upload(client, tmp_path, members, orgs=None):
    files = [
        SimpleUploadedFile(
            "members.csv", write_csv(tmp_path / "members.csv", members, MEMBER_HEADERS).read_bytes()
        )
    ]
    if orgs:
        files.append(
            SimpleUploadedFile("orgs.csv", write_csv(tmp_path / "orgs.csv", orgs, ORG_HEADERS).read_bytes())
        )
    response = client.post(reverse("roster:import"), {"files": files})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(uuid=response.url.rstrip("/").split("/")[-1])


def test_upload_check_confirm_and_summary(world, client_for, tmp_path):
    client = client_for(world.county_admin)
    assert client.get(reverse("roster:import")).status_code == 200
    job = upload(
        client,
        tmp_path,
        [member("甲", 1, "0104", 党内职务="书记"), member("乙", 3, "0101")],
        [org("0104", "龙泉社区党支部", "01", elected="2024-01-01")],
    )
    assert job.status == "valid" and job.rows == 3
    page = client.get(reverse("roster:job", args=[job.uuid])).content.decode()
    assert "党员：新建 2，更新 0，未变 0" in page and "确认导入" in page
    assert not Member.objects.filter(name="甲").exists()  # checked, not written

    response = client.post(reverse("roster:confirm", args=[job.uuid]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done"
    assert not job.directory.exists()  # the uploads (identity numbers) are gone
    assert Member.objects.get(name="甲").org.code == "0104"
    page = client.get(reverse("roster:job", args=[job.uuid])).content.decode()
    assert "导入完成" in page and "党组织：新建 1" in page
    # next steps: the health check of what was imported, accounts for the secretaries, import more
    steps = re.findall(r'href="([^"]+)" data-next-step>([^<]+)<', page)
    assert [label for _url, label in steps] == ["查看东城街道党工委的合规体检", "为书记开通账号", "继续导入"]
    assert steps[0][0] == reverse("reports:health", args=["01"])
    assert steps[1][0] == reverse("accounts:secretaries") + "?org=01"
    record = ObjectChange.objects.get(action="import")
    assert record.user == world.county_admin and record.source == "web"
    # The page the progress bar polls tells htmx to reload once the job has finished.
    poll = client.get(reverse("roster:progress", args=[job.uuid]))
    assert poll.status_code == 204 and poll["HX-Refresh"] == "true"
    # A confirmed job cannot be confirmed twice.
    client.post(reverse("roster:confirm", args=[job.uuid]))
    assert Member.objects.filter(name="甲").count() == 1


def test_report_lists_every_error_masks_ids_and_offers_the_bad_rows(world, client_for, tmp_path):
    client = client_for(world.county_admin)
    rows = [
        member(f"党员{i}", i, "0101", birth=dt.date(1950 + i % 40, 1 + i % 12, 1 + i % 28))
        for i in range(150)
    ]
    bad_id = make_id(dt.date(1985, 3, 9), 777, region="320106")[:-1] + "0"
    rows[10]["公民身份号码"] = bad_id
    rows[120]["性别"] = "男性别"
    job = upload(client, tmp_path, rows)
    assert job.status == "invalid" and job.error_count == 2
    page = client.get(reverse("roster:job", args=[job.uuid])).content.decode()
    assert "发现2处错误" in page
    assert bad_id not in page and bad_id[:4] + "**********" + bad_id[-4:] in page
    # each error row names the person beside the row number, the column and the reason
    assert re.search(r"<td>12</td>\s*<td>党员10</td>\s*<td>公民身份号码</td>", page)
    assert re.search(r"<td>122</td>\s*<td>党员120</td>\s*<td>性别</td>", page) and "男性别" in page
    assert not Member.objects.filter(name__startswith="党员").exists()

    response = client.get(reverse("roster:bad_rows", args=[job.uuid]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows_out = list(workbook["党员花名册"].iter_rows(values_only=True))
    assert rows_out[0][0] == "行号" and rows_out[0][-1] == "错误原因"
    assert [r[0] for r in rows_out[1:]] == [12, 122]
    assert rows_out[1][4] == bad_id and "id_checksum" in rows_out[1][-1]

    client.post(reverse("roster:discard", args=[job.uuid]))
    job.refresh_from_db()
    assert job.status == "discarded" and not job.directory.exists()


def test_report_pages_through_many_errors(world, client_for, tmp_path):
    client = client_for(world.county_admin)
    rows = [member(f"党员{i}", i, "0101", 性别="?") for i in range(130)]
    job = upload(client, tmp_path, rows)
    assert job.error_count == 130
    second = client.get(reverse("roster:job", args=[job.uuid]) + "?page=2").content.decode()
    assert "<td>102</td>" in second and "<td>131</td>" in second and "<td>2</td>\n" not in second


def test_import_page_scope(world, client_for, tmp_path):
    alice = client_for(world.alice)
    job = upload(alice, tmp_path, [member("甲", 1, "0101"), member("乙", 3, "0102")])
    assert job.status == "invalid"
    page = alice.get(reverse("roster:job", args=[job.uuid])).content.decode()
    assert "org_unknown" in page and "新华村" not in page
    # Jobs are their uploader's alone.
    assert client_for(world.county_admin).get(reverse("roster:job", args=[job.uuid])).status_code == 404
    assert client_for(world.county_admin).get(reverse("roster:bad_rows", args=[job.uuid])).status_code == 404
    assert client_for(world.county_admin).post(reverse("roster:confirm", args=[job.uuid])).status_code == 404
    # No organization to import into: refused.
    assert client_for(world.charlie).get(reverse("roster:import")).status_code == 403
    assert client_for(world.viewer).get(reverse("roster:import")).status_code == 403


def test_progress_fragment_while_running(world, client_for):
    client = client_for(world.county_admin)
    job = ImportJob.objects.create(created_by=world.county_admin, status="running", files=[])
    job.directory.mkdir(parents=True)
    job.progress_path.write_text('{"phase": "党员", "rows": 1200, "fraction": 0.42}', encoding="utf-8")
    fragment = client.get(
        reverse("roster:progress", args=[job.uuid]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'value="42"' in fragment and "1200" in fragment and 'hx-trigger="every 1s"' in fragment
    assert "style=" not in fragment


def test_export_button_target_and_its_scope(world, client_for):
    alice = client_for(world.alice)
    assert alice.get(reverse("roster:export", args=["0102"])).status_code == 404
    response = alice.get(reverse("roster:export", args=["0101"]) + "?format=csv")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["members.csv", "orgs.csv"]
    members_csv = archive.read("members.csv").decode("utf-8-sig")
    assert "*" in members_csv.splitlines()[1]  # masked by default
    full = alice.get(reverse("roster:export", args=["0101"]) + "?format=xlsx&full_id=1")
    assert full.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(full.streaming_content)), read_only=True)
    numbers = {r[3] for r in list(workbook["党员花名册"].iter_rows(values_only=True))[1:]}
    assert numbers == {m.reveal_id_number() for m in Member.objects.filter(org=world.branch_a)}
    assert ObjectChange.objects.filter(action="export", user=world.alice).count() == 2

    viewer = client_for(world.viewer)
    assert viewer.get(reverse("roster:export", args=["01"]) + "?format=xlsx").status_code == 200
    assert viewer.get(reverse("roster:export", args=["01"]) + "?format=xlsx&full_id=1").status_code == 403
    assert viewer.get(reverse("roster:export", args=["01"]) + "?format=pdf").status_code == 400
    assert client_for(world.charlie).get(reverse("roster:export", args=["01"])).status_code == 404
    assert client_for(world.sysadmin).get(reverse("roster:export", args=["01"])).status_code == 404


def test_job_status_api_is_the_uploaders_alone(world):
    from rest_framework.test import APIRequestFactory, force_authenticate

    from jiceng.roster.api import ImportJobStatus

    job = ImportJob.objects.create(created_by=world.alice, status="invalid", files=[], error_count=3)
    view = ImportJobStatus.as_view()
    request = APIRequestFactory().get("/")
    force_authenticate(request, user=world.alice)
    response = view(request, job=job.uuid)
    assert response.status_code == 200
    assert (response.data["status"], response.data["error_count"]) == ("invalid", 3)
    request = APIRequestFactory().get("/")
    force_authenticate(request, user=world.county_admin)
    assert view(request, job=job.uuid).status_code == 404
