"""Import jobs under attack (issue 11): the bad-rows download audited (item 9), a job whose worker died
(item 5), hostile file names and concurrent imports (item 7)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jiceng.core.models import ObjectChange
from jiceng.roster.models import ImportJob

from .helpers import MEMBER_HEADERS, member, write_csv

pytestmark = [pytest.mark.django_db, pytest.mark.urls("jiceng.roster.tests.urls")]


def upload(client, tmp_path, rows, name="members.csv"):
    path = write_csv(tmp_path / "members.csv", rows, MEMBER_HEADERS)
    response = client.post(reverse("roster:import"), {"files": [SimpleUploadedFile(name, path.read_bytes())]})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(uuid=response.url.rstrip("/").split("/")[-1])


def test_the_bad_rows_download_is_audited_like_an_export(world, client_for, tmp_path):
    """The workbook holds the uploaded rows in full (identity numbers included): every download leaves a
    change record, as every export does."""
    client = client_for(world.county_admin)
    job = upload(client, tmp_path, [member("甲", 1, "0101", 性别="未知")])
    assert job.status == ImportJob.Status.INVALID
    before = ObjectChange.objects.filter(action=ObjectChange.Action.EXPORT).count()
    response = client.get(reverse("roster:bad_rows", args=[job.uuid]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    record = ObjectChange.objects.filter(action=ObjectChange.Action.EXPORT).order_by("-id").first()
    assert ObjectChange.objects.filter(action=ObjectChange.Action.EXPORT).count() == before + 1
    assert record.user == world.county_admin
    assert record.object_id == job.pk and record.postchange_data["bad_rows"] is True
    assert "错误行" in record.message
