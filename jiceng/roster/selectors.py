"""Reads of the roster app: a user's own import jobs and their reports."""

from __future__ import annotations

import itertools
import re
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from jiceng.core import idnumber
from jiceng.core.models import User

from .importer import Problem, iter_problems
from .models import ImportJob

ERRORS_PER_PAGE = 100
_ID_LIKE = re.compile(r"^\d{15,17}[\dXx]?$")


def recent_jobs(user: User, *, limit: int = 10) -> QuerySet[ImportJob]:
    """Jobs hold other people's personal data: each is visible to the one who uploaded it only."""
    return ImportJob.objects.filter(created_by=user).order_by("-created_at", "-id")[:limit]


def get_job(user: User, job_uuid: Any) -> ImportJob:
    job = ImportJob.objects.filter(uuid=job_uuid, created_by=user).first()
    if job is None or not user.is_authenticated:
        raise Http404
    return job


class ErrorList:
    """The job's errors as a sequence a Paginator can page through, read from errors.jsonl on demand."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job

    def __len__(self) -> int:
        return self.job.errors_stored

    def __getitem__(self, index: slice) -> list[Problem]:
        if not isinstance(index, slice):
            raise TypeError("slice only")
        rows = itertools.islice(iter_problems(self.job.errors_path), index.start or 0, index.stop)
        return [masked(p) for p in rows]

    def count(self) -> int:
        return len(self)


def masked(problem: Problem) -> Problem:
    """Identity numbers are masked on screen, in error reports too (the bad-rows file keeps them)."""
    value = problem.value
    if value and _ID_LIKE.match(value):
        value = idnumber.mask(value)
    return Problem(
        problem.file, problem.row, problem.column, value, problem.code, problem.message, problem.name
    )


def error_page(job: ImportJob, number: Any, *, per_page: int = ERRORS_PER_PAGE) -> Page:
    return Paginator(ErrorList(job), per_page).get_page(number)
