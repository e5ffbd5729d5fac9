"""Property-based tests of the REST API against its own OpenAPI schema (schemathesis 4).

Schemathesis reads /api/v1/openapi.json from the WSGI app and generates requests from it, one test
per operation: every answer must be something other than a server error, and must match the schema
documented for its status code (errors included). Reads run as an organization administrator
(everything visible) and as a branch secretary (a narrow scope, so most lookups answer 404); writes
run as the administrator inside the test's transaction, so whatever they change is rolled back.

The schema is loaded when the module is imported (schemathesis' lazy ``from_fixture`` loader does
not run under pytest 9); serving it touches no database.
"""

from __future__ import annotations

import collections

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from jiceng.wsgi import application

CHECKS = [not_a_server_error, response_schema_conformance]
HYPOTHESIS = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,  # the same examples on every run, so a failure here is reproducible
    suppress_health_check=list(HealthCheck),
)

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
# For the writes, random bodies only: the coverage phase's exhaustive boundary cases of every body
# field would take minutes here, and the same types are covered by the services' own tests.
fuzz_only = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json",
    application,
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The real WSGI handler closes the database connection after each request, which would end
    the test's transaction on PostgreSQL; Django's own test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _auth(user) -> dict[str, str]:
    from jiceng.core import tokens

    return {"Authorization": f"Token {tokens.issue(user=user)[1]}"}


def _development_ids(world) -> dict[str, int]:
    """A development file of 0101 at the candidate stage (made once per test) and its latest step."""
    from jiceng.development.models import Development, StepKind
    from jiceng.development.tests.helpers import walk

    development = getattr(world, "_development", None)
    if development is None or not Development.objects.filter(pk=development.pk).exists():
        development = walk(world, until=StepKind.CANDIDATE, seq=90)
        world._development = development
    latest = development.steps.order_by("-on", "-id").first()
    return {"id": development.pk, "step_id": latest.pk}


def _call_as(case, user, world) -> None:
    """The generated request, then (random codes and ids mostly miss) the same on a real object."""
    case.call_and_validate(headers=_auth(user), checks=CHECKS)
    if case.path_parameters:
        known = {"code": world.branch_a.code, "id": world.members_a[1].pk}
        if case.path.startswith("/api/v1/development/"):
            known.update(_development_ids(world))
        case.path_parameters = {k: known.get(k, v) for k, v in case.path_parameters.items()}
        case.call_and_validate(headers=_auth(user), checks=CHECKS)


@schema.include(method="GET").parametrize()
@HYPOTHESIS
def test_reads_conform_to_the_schema(case, world):
    _call_as(case, world.county_admin, world)


@schema.include(method="GET").parametrize()
@HYPOTHESIS
def test_reads_in_a_narrow_scope_conform_to_the_schema(case, world):
    _call_as(case, world.alice, world)


@fuzz_only.exclude(method="GET").exclude(path="/api/v1/auth/token/").parametrize()
@HYPOTHESIS
def test_writes_conform_to_the_schema(case, world):
    _call_as(case, world.county_admin, world)


@fuzz_only.include(path="/api/v1/auth/token/", method="POST").parametrize()
@HYPOTHESIS
def test_token_requests_conform_to_the_schema(case, world):
    case.call_and_validate(checks=CHECKS)


def test_schema_is_complete_and_valid(tmp_path):
    """`jiceng spectacular --validate --fail-on-warn`: every operation documented, no guessing."""
    from django.core.management import call_command

    out = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "operationId: members_reveal_id_create" in out.read_text()


# Bad inputs (issue 11 item 7): every operation of the schema with hostile values where its path,
# query and body take them. Each must answer something other than a server error.

BAD_PATH = ["%00", "0000-01", "9" * 30, "-1", "%E4%B8%AD" * 60, "..%2F..%2Fetc"]
BAD_VALUES = [
    "\x00",
    "a\x00b",
    "0000-01",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    10**30,
    -(10**30),
    "x" * 5000,
    [[[[[]]]]],
    {"a": {"b": {"c": None}}},
    None,
]


def _body_fields(spec, operation) -> list[str]:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref:
        body = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return list(body.get("properties", {}))


def test_bad_inputs_never_answer_a_server_error(world):
    """NUL bytes, year 0 and year 9999, numbers beyond 64 bits, deep JSON, wrong types, in every path
    parameter, query parameter and body field the schema documents: never a 5xx, nothing written."""
    from django.test import Client

    from jiceng.orgs.models import Organization

    client = Client(
        raise_request_exception=False, HTTP_AUTHORIZATION=_auth(world.county_admin)["Authorization"]
    )
    spec = client.get("/api/v1/openapi.json").json()
    before = Organization.objects.count()
    known = {"code": world.branch_a.code, "id": world.members_a[1].pk, "kind": "talk", "job": "0" * 32}
    known = collections.defaultdict(lambda: 1, known)
    known.update(_development_ids(world))
    failures = []
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            params = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"]
            for bad in [*BAD_PATH, None] if names else [None]:
                path = template
                for name in names:  # None: real objects, so that the bodies reach the services
                    path = path.replace("{" + name + "}", bad if bad is not None else str(known[name]))
                queries = [{p["name"]: v for p in params} for v in BAD_VALUES if isinstance(v, str)] or [{}]
                for query in queries[:3] if method == "get" else [{}]:
                    response = getattr(client, method)(path, query) if method == "get" else None
                    if response is not None and response.status_code >= 500:
                        failures.append((method, path, query, response.status_code))
                if method == "get":
                    continue
                fields = _body_fields(spec, operation) or ["on"]
                bodies = ["[" * 100_000, '{"a":' * 50_000, "{bad json"]
                bodies += [__import__("json").dumps({f: v for f in fields}) for v in BAD_VALUES]
                for body in bodies:
                    response = getattr(client, method)(path, body, content_type="application/json")
                    if response.status_code >= 500:
                        failures.append((method, path, body[:80], response.status_code))
    assert not failures, failures[:20]
    assert Organization.objects.count() == before
