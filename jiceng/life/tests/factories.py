"""Small helpers shared by this app's tests."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiceng.members.models import Member

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def today() -> dt.date:
    return timezone.localdate()


def days_ago(n: int) -> dt.date:
    return today() - dt.timedelta(days=n)


def branch_members(org) -> list[Member]:  # noqa: ANN001
    return list(Member.objects.filter(org=org, closed_on__isnull=True).order_by("id"))


def all_present(org) -> dict[Member, str]:  # noqa: ANN001
    return {m: "present" for m in branch_members(org)}


def big_file(size: int) -> io.BytesIO:
    return io.BytesIO(PDF + b"0" * (size - len(PDF)))
