"""The development API (/api/v1/development/): every endpoint's answer, the 422 of a refused step, the
scope of each endpoint for each named user of the world fixture, and the documented schema.

Scope: a file outside the caller's subtrees answers 404 and never shows in a list or a count; a
visible file the caller may not change answers 403 before its body is read; people and meetings a
body names are looked up in the caller's scope, and one outside it reads exactly like an unknown id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import requests
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from rest_framework.test import APIClient
from schemathesis.core.transport import Response as CheckedResponse

from conftest import make_id
from jiceng.core.models import ObjectChange
from jiceng.development import rules
from jiceng.development.api import STEP_KINDS
from jiceng.development.models import Development, Stage, Step, StepKind
from jiceng.development.tests.helpers import BIRTH, START, person, plan, walk
from jiceng.life import services as life_services
from jiceng.members.models import Member
from jiceng.wsgi import application

URL = "/api/v1/development/"
D = dt.date
USERS = ["county_admin", "alice", "bob", "viewer", "charlie", "dora", "anonymous"]

# The documented schema, read from the app (serving it touches no database).
SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Loading the schema through the WSGI handler must not close the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def file_url(pk: int) -> str:
    return f"{URL}{pk}/"


def step_url(pk: int, kind: str) -> str:
    return f"{URL}{pk}/steps/{kind}/"


def wire(value: Any) -> Any:
    """A service argument as it travels in JSON."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def application_body(world, seq: int = 1, *, org=None, on: dt.date = START, **extra: Any) -> dict[str, Any]:  # noqa: ANN001
    return wire({"org": (org or world.branch_a).code, "on": on, **person(seq, **extra)})


def conforms(response, template: str, method: str) -> None:  # noqa: ANN001
    """The answer matches what the OpenAPI schema documents for its status code (schemathesis)."""
    path = response.wsgi_request.get_full_path()
    checked = CheckedResponse(
        status_code=response.status_code,
        headers={k: [v] for k, v in response.headers.items()},
        content=response.content,
        request=requests.Request(method, f"http://testserver{path}").prepare(),
        elapsed=0.0,
        verify=True,
    )
    SCHEMA[template][method].validate_response(checked)


def error_codes(response) -> dict[str, list[str]]:  # noqa: ANN001
    body = response.json()
    assert response.status_code == 400, body
    assert body["code"] == "invalid"
    return {f: [e["code"] for e in errors] for f, errors in body["errors"].items()}


def assert_error(response, status: int) -> None:  # noqa: ANN001
    assert response.status_code == status, response.content
    code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}[status]
    assert response.json()["code"] == code


def record(client: APIClient, pk: int, kind: str, on: dt.date, **evidence: Any):  # noqa: ANN201
    return client.post(step_url(pk, kind), wire({"on": on, **evidence}), format="json")


def through_api(client: APIClient, world, pk: int, *, until: str | None = None) -> None:  # noqa: ANN001
    for kind, on, evidence in plan(world):
        response = record(client, pk, kind, on, **evidence)
        assert response.status_code == 201, response.content
        if kind == until:
            return


# ---- The application and the file -----------------------------------------------------------------


def test_an_application_opens_a_file_and_answers_it(api, world):
    response = api("alice").post(URL, application_body(world, note="书面申请"), format="json")
    assert response.status_code == 201, response.content
    conforms(response, "/api/v1/development/", "POST")
    body = response.json()
    development = Development.objects.get()
    assert body["id"] == development.pk
    assert body["org"] == "0101" and body["name"] == "申请人1"
    assert body["id_number_masked"] == development.id_number_masked
    assert "id_number" not in body and "id_number_cipher" not in body
    assert body["stage"] == Stage.APPLICANT and body["stage_since"] == START.isoformat()
    assert body["member"] is None and body["extended_to"] is None
    assert [(s["kind"], s["on"], s["note"]) for s in body["steps"]] == [
        ("application", START.isoformat(), "书面申请")
    ]
    assert [n["kind"] for n in body["next_steps"]] == ["talk", "activist"]
    # Applied in 2023 and nobody has talked with the person since: late, as a finding.
    assert [f["rule"] for f in body["late"]] == ["dev.talk_within_month"]
    assert body["late"][0]["org_code"] == "0101"


def test_an_application_takes_the_birth_date_from_the_identity_number(api, world):
    data = application_body(world)
    del data["birth_date"]
    response = api("alice").post(URL, data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["birth_date"] == BIRTH.isoformat()


def test_an_applicant_under_18_is_refused_with_the_birthday(api, world):
    birth = D(2010, 4, 20)
    response = api("alice").post(URL, application_body(world, birth=birth, on=D(2026, 1, 5)), format="json")
    assert response.status_code == 422, response.content
    conforms(response, "/api/v1/development/", "POST")
    body = response.json()
    assert body["code"] == "step_refused"
    assert body["rule"] == "dev.min_age" and body["earliest"] == "2028-04-20"
    assert body["refusals"][0]["rule"] == "dev.min_age"
    assert not Development.objects.exists()


def test_application_input_errors_are_400(api, world):
    client = api("alice")
    bad_id = application_body(world)
    bad_id["id_number"] = bad_id["id_number"][:-1] + ("0" if bad_id["id_number"][-1] != "0" else "1")
    assert "id_number" in error_codes(client.post(URL, bad_id, format="json"))
    missing = application_body(world)
    del missing["name"], missing["on"]
    assert set(error_codes(client.post(URL, missing, format="json"))) == {"name", "on"}
    member = application_body(world)
    member["id_number"] = make_id(D(1980, 5, 17), 2)  # 王芳, already a member
    member["birth_date"] = "1980-05-17"
    member["gender"] = "female"
    assert error_codes(client.post(URL, member, format="json")) == {"id_number": ["already_member"]}
    committee = application_body(world, org=world.root)
    assert error_codes(api("county_admin").post(URL, committee, format="json")) == {"org": ["not_branch"]}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("county_admin", 201),
        ("alice", 201),
        ("bob", 400),
        ("viewer", 403),
        ("charlie", 403),
        ("anonymous", 401),
    ],
)
def test_who_may_open_a_file_in_branch_a(api, world, who, status):
    response = api(who).post(URL, application_body(world), format="json")
    assert response.status_code == status, response.content
    if status == 400:  # 0101 lies outside bob's scope: unknown, exactly like a code that does not exist
        assert error_codes(response) == {"org": ["unknown_org"]}
        nowhere = api(who).post(URL, application_body(world, org=None) | {"org": "9999"}, format="json")
        assert response.json()["errors"]["org"][0]["message"].replace("0101", "") == nowhere.json()["errors"][
            "org"
        ][0]["message"].replace("9999", "")
    assert Development.objects.exists() == (status == 201)


def test_the_file_shows_steps_evidence_people_and_next_steps(api, world):
    development = walk(world, until=StepKind.NOTICE)
    response = api("alice").get(file_url(development.pk))
    assert response.status_code == 200
    conforms(response, "/api/v1/development/{id}/", "GET")
    body = response.json()
    assert body["stage"] == Stage.ACTIVIST
    steps = {s["kind"]: s for s in body["steps"]}
    kinds = [s["kind"] for s in body["steps"]]
    assert kinds == ["application", "talk", "activist", "mentors", "review", "review", "notice"]
    assert steps["talk"]["person_name"] == "张伟"
    assert steps["activist"]["recommendation"] == "party_members" and steps["activist"]["filed_on"]
    assert steps["mentors"]["people"] == [{"id": world.members_a[1].pk, "name": "王芳"}]
    assert steps["notice"]["ends_on"]
    # The candidacy waits for the activist's first anniversary; nothing else is missing.
    activist_on = D.fromisoformat(steps["activist"]["on"])
    nxt = {n["kind"]: n for n in body["next_steps"]}
    assert set(nxt) == {"review", "notice", "candidate"}  # mentors are named already
    assert nxt["candidate"]["earliest"] is None  # 2024 is long past: possible now
    assert nxt["candidate"]["blockers"] == []
    assert activist_on.year == 2023


def test_next_steps_show_blockers_and_earliest_dates(api, world):
    development = walk(world, until=StepKind.ACTIVIST)
    response = api("alice").get(file_url(development.pk))
    candidate = next(n for n in response.json()["next_steps"] if n["kind"] == "candidate")
    assert {b["rule"] for b in candidate["blockers"]} == {"dev.mentors", "dev.public_notice"}
    assert all(b["earliest"] is None for b in candidate["blockers"])


def test_the_file_of_a_member_names_the_member_record(api, world):
    development = walk(world, until=StepKind.EXTENSION)  # the whole plan: full member
    body = api("viewer").get(file_url(development.pk)).json()
    assert body["stage"] == Stage.FULL
    assert body["member"] == development.member_id
    assert Member.objects.get(pk=body["member"]).status == "full"
    assert body["probation_ends"] == development.member.full_member_on.isoformat()
    assert [n["kind"] for n in body["next_steps"]] == []  # the conversion is approved


# ---- Every step through its endpoint ---------------------------------------------------------------


def test_the_whole_path_through_the_step_endpoints(api, world):
    client = api("alice")
    response = client.post(URL, application_body(world), format="json")
    pk = response.json()["id"]
    seen = []
    for kind, on, evidence in plan(world):
        response = record(client, pk, kind, on, **evidence)
        assert response.status_code == 201, (kind, response.content)
        body = response.json()
        assert body["steps"][-1]["kind"] == kind and body["steps"][-1]["on"] == on.isoformat()
        seen.append(kind)
        if kind in (StepKind.ADMISSION, StepKind.CONVERSION):
            assert body["steps"][-1]["votes_yes"] == 5
            conforms(response, "/api/v1/development/{id}/steps/" + kind + "/", "POST")
    development = Development.objects.get(pk=pk)
    assert development.stage == Stage.FULL and development.member.status == "full"
    assert set(seen) == set(STEP_KINDS) - {
        StepKind.EXTENSION,
        StepKind.REVOCATION,
        StepKind.WITHDRAWAL,
        StepKind.NOT_ADMITTED,
    }


def test_extension_then_conversion_after_the_extended_end(api, world):
    development = walk(world, until=StepKind.CONVERSION_APPLICATION)
    admission = development.steps.get(kind=StepKind.ADMISSION).on
    ends = admission.replace(year=admission.year + 1)
    client = api("alice")
    early = record(client, development.pk, "extension", ends - dt.timedelta(days=1), months=6)
    assert early.status_code == 422 and early.json()["rule"] == "dev.extension_bounds"
    assert early.json()["earliest"] == ends.isoformat()
    too_long = record(client, development.pk, "extension", ends, months=13)
    assert too_long.status_code == 422 and too_long.json()["field"] == "months"
    response = record(client, development.pk, "extension", ends, months=6)
    assert response.status_code == 201, response.content
    extended = D(ends.year + (ends.month + 6 - 1) // 12, (ends.month + 6 - 1) % 12 + 1, ends.day)
    assert response.json()["extended_to"] == extended.isoformat()
    second = record(client, development.pk, "extension", extended, months=6)
    assert second.status_code == 422 and second.json()["rule"] == "dev.extension_bounds"
    votes = {"voting_members": 5, "voters_present": 5, "votes_yes": 5}
    before = record(client, development.pk, "conversion", extended - dt.timedelta(days=1), **votes)
    assert before.status_code == 422
    assert (before.json()["rule"], before.json()["earliest"]) == (
        "dev.probation_min_period",
        extended.isoformat(),
    )
    after = record(client, development.pk, "conversion", extended, **votes)
    assert after.status_code == 201 and after.json()["stage"] == Stage.FULL


@pytest.mark.parametrize(
    ("until", "kind", "evidence", "stage"),
    [
        (StepKind.APPLICATION, "withdrawal", {"note": "本人撤回"}, Stage.WITHDRAWN),
        (
            StepKind.PRE_REVIEW,
            "not_admitted",
            {"voting_members": 5, "voters_present": 4, "votes_yes": 2},
            Stage.NOT_ADMITTED,
        ),
        (StepKind.OATH, "revocation", {"note": "不履行义务"}, Stage.REVOKED),
    ],
)
def test_side_exits(api, world, until, kind, evidence, stage):
    development = walk(world, until=until)
    on = development.steps.order_by("-on").first().on + dt.timedelta(days=7)
    response = record(api("alice"), development.pk, kind, on, **evidence)
    assert response.status_code == 201, response.content
    assert response.json()["stage"] == stage and response.json()["next_steps"] == []
    if kind == "revocation":
        assert Member.objects.get(pk=development.member_id).closed_on == on


def test_a_linked_meeting_supplies_the_vote_figures(api, world):
    development = walk(world, until=StepKind.PRE_REVIEW)
    admission_on = dict((k, on) for k, on, _ in plan(world))[StepKind.ADMISSION]
    meeting = life_services.record_meeting(
        actor=world.alice,
        org=world.branch_a,
        kind="general_meeting",
        held_on=admission_on,
        topic="讨论接收预备党员",
        voted=True,
        voting_members=5,
        voters_present=5,
        votes_yes=4,
    )
    other = life_services.record_meeting(
        actor=world.bob, org=world.branch_b, kind="general_meeting", held_on=admission_on, topic="村支部大会"
    )
    client = api("alice")
    hidden = record(client, development.pk, "admission", admission_on, meeting=other.pk, **FIGURES)
    unknown = record(client, development.pk, "admission", admission_on, meeting=other.pk + 1000, **FIGURES)
    assert error_codes(hidden) == error_codes(unknown) == {"meeting": ["unknown_meeting"]}
    assert hidden.json()["errors"]["meeting"][0]["message"].replace(str(other.pk), "#") == unknown.json()[
        "errors"
    ]["meeting"][0]["message"].replace(str(other.pk + 1000), "#")
    mismatch = record(client, development.pk, "admission", admission_on, meeting=meeting.pk, **FIGURES)
    assert error_codes(mismatch) == {"votes_yes": ["meeting_mismatch"]}
    response = record(
        client,
        development.pk,
        "admission",
        admission_on,
        meeting=meeting.pk,
        voting_members=5,
        voters_present=5,
        votes_yes=4,
    )
    assert response.status_code == 201, response.content
    step = response.json()["steps"][-1]
    assert (step["meeting"], step["votes_yes"]) == (meeting.pk, 4)


FIGURES = {"voting_members": 5, "voters_present": 5, "votes_yes": 5}


# ---- Refusals: 422 -------------------------------------------------------------------------------------


def test_a_candidate_before_the_activist_year_is_refused_with_the_anniversary(api, world):
    development = walk(world, until=StepKind.REVIEW)
    activist_on = development.steps.get(kind=StepKind.ACTIVIST).on
    on = activist_on + dt.timedelta(days=300)
    response = record(api("alice"), development.pk, "candidate", on)
    assert response.status_code == 422, response.content
    conforms(response, "/api/v1/development/{id}/steps/candidate/", "POST")
    body = response.json()
    anniversary = activist_on.replace(year=activist_on.year + 1)
    assert body["code"] == "step_refused"
    assert body["rule"] == "dev.activist_min_period"
    assert body["earliest"] == anniversary.isoformat()
    assert anniversary.isoformat() in body["message"]
    assert body["field"] == "on" and body["citation"]
    # Every refusal, the first one first: no notice has been published either.
    assert [r["rule"] for r in body["refusals"]] == ["dev.activist_min_period", "dev.public_notice"]
    assert body["refusals"][0] == {k: body[k] for k in ("rule", "message", "earliest", "citation", "field")}
    assert set(body) == {"code", "rule", "message", "earliest", "citation", "field", "refusals"}
    development.refresh_from_db()
    assert development.stage == Stage.ACTIVIST
    assert not development.steps.filter(kind=StepKind.CANDIDATE).exists()


@pytest.mark.parametrize(
    ("until", "kind", "evidence", "rule", "field"),
    [
        (StepKind.ACTIVIST, "mentors", {"people": []}, "dev.mentors", "people"),
        (StepKind.ACTIVIST, "notice", {"ends_on": "+2"}, "dev.public_notice", "ends_on"),
        (StepKind.CANDIDATE, "training", {"days": 2, "hours": 16}, "dev.training", "days"),
        (
            StepKind.PRE_REVIEW,
            "admission",
            {"voting_members": 6, "voters_present": 6, "votes_yes": 3},
            "dev.admission_vote",
            "votes_yes",
        ),
        (StepKind.TALK, "candidate", {}, "dev.sequence", "on"),
        (StepKind.MENTORS, "talk", {"person_name": "李娜"}, "dev.sequence", "on"),
    ],
)
def test_rules_refuse_with_their_codes(api, world, until, kind, evidence, rule, field):
    development = walk(world, until=until)
    on = development.steps.order_by("-on").first().on + dt.timedelta(days=3)
    if evidence.get("ends_on") == "+2":
        evidence = {"ends_on": on + dt.timedelta(days=2)}
    count = development.steps.count()
    response = record(api("alice"), development.pk, kind, on, **evidence)
    assert response.status_code == 422, response.content
    assert (response.json()["rule"], response.json()["field"]) == (rule, field)
    assert development.steps.count() == count


def test_sponsors_must_be_full_and_visible(api, world):
    development = walk(world, until=StepKind.CANDIDATE)
    on = development.stage_since + dt.timedelta(days=2)
    dora = Member.objects.get(name="赵敏")  # probationary
    client = api("alice")
    probationary = record(client, development.pk, "sponsors", on, people=[world.members_a[1].pk, dora.pk])
    assert probationary.status_code == 422 and probationary.json()["rule"] == "dev.sponsors"
    one = record(client, development.pk, "sponsors", on, people=[world.members_a[1].pk])
    assert one.status_code == 422 and one.json()["field"] == "people"
    # 孙强 of 0102 exists but alice cannot see him: the same answer as an id nobody has.
    sun = world.members_b[0]
    hidden = record(client, development.pk, "sponsors", on, people=[world.members_a[1].pk, sun.pk])
    nobody = record(client, development.pk, "sponsors", on, people=[world.members_a[1].pk, sun.pk + 1000])
    assert error_codes(hidden) == error_codes(nobody) == {"people": ["unknown_member"]}
    assert hidden.json()["errors"]["people"][0]["message"].replace(str(sun.pk), "#") == nobody.json()[
        "errors"
    ]["people"][0]["message"].replace(str(sun.pk + 1000), "#")
    # The county administrator sees both branches: a sponsor from 0102 is fine.
    response = record(
        api("county_admin"), development.pk, "sponsors", on, people=[world.members_a[1].pk, sun.pk]
    )
    assert response.status_code == 201, response.content
    assert response.json()["steps"][-1]["people"] == [
        {"id": world.members_a[1].pk, "name": "王芳"},
        {"id": sun.pk, "name": "孙强"},
    ]


# ---- Each step's body ------------------------------------------------------------------------------


def test_each_step_body_lists_exactly_its_fields(api, world):
    development = walk(world, until=StepKind.APPLICATION)
    client = api("alice")
    on = START + dt.timedelta(days=5)
    assert error_codes(record(client, development.pk, "talk", on)) == {"person_name": ["required"]}
    assert error_codes(
        client.post(step_url(development.pk, "talk"), {"person_name": "张伟"}, format="json")
    ) == {"on": ["required"]}
    stray = record(
        client, development.pk, "talk", on, person_name="张伟", people=[world.members_a[1].pk], days=3
    )
    assert error_codes(stray) == {"days": ["not_used"], "people": ["not_used"]}
    activist = record(client, development.pk, "activist", on, recommendation="party_members")
    assert error_codes(activist) == {"filed_on": ["required"]}
    typed = record(client, development.pk, "activist", "2023-13-01", recommendation="nobody", filed_on="x")
    assert set(error_codes(typed)) == {"on", "recommendation", "filed_on"}
    assert (
        client.post(step_url(development.pk, "application"), {"on": "2023-03-05"}, format="json").status_code
        == 404
    )
    assert (
        client.post(step_url(development.pk, "nonsense"), {"on": "2023-03-05"}, format="json").status_code
        == 404
    )
    assert development.steps.count() == 1


def test_the_schema_documents_each_step_body_and_its_refusal(api, world):
    schema = api("charlie").get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    for kind in STEP_KINDS:
        operation = schema["paths"][f"/api/v1/development/{{id}}/steps/{kind}/"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = components[ref.rsplit("/", 1)[1]]
        required, optional = rules.STEP_FIELDS[kind]
        assert set(body["properties"]) == {"on", *required, *optional}, kind
        assert set(body["required"]) == {"on", *required}, kind
        if "people" in body["properties"]:
            assert body["properties"]["people"]["items"]["type"] == "integer"
        refused = operation["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
        assert refused == "#/components/schemas/StepRefused"
        assert set(operation["responses"]) == {"201", "400", "401", "403", "404", "422"}
    assert "application" not in {p.rsplit("/", 2)[-2] for p in schema["paths"] if "/steps/" in p}
    assert set(components["StepRefused"]["required"]) >= {
        "rule",
        "message",
        "earliest",
        "citation",
        "field",
        "refusals",
    }
    assert "422" in schema["paths"]["/api/v1/development/"]["post"]["responses"]
    assert "/api/v1/development/board/" in schema["paths"]
    assert "delete" in schema["paths"]["/api/v1/development/steps/{step_id}/"]


# ---- Person details, the identity number -----------------------------------------------------------


def test_correcting_the_person(api, world):
    development = walk(world, until=StepKind.APPLICATION)
    client = api("alice")
    response = client.patch(file_url(development.pk), {"name": "李四", "phone": "13800000000"}, format="json")
    assert response.status_code == 200, response.content
    conforms(response, "/api/v1/development/{id}/", "PATCH")
    assert (response.json()["name"], response.json()["phone"]) == ("李四", "13800000000")
    assert "gender" in error_codes(client.patch(file_url(development.pk), {"gender": "x"}, format="json"))
    assert "name" in error_codes(client.patch(file_url(development.pk), {"name": ""}, format="json"))
    wrong_birth = client.patch(file_url(development.pk), {"birth_date": "2001-01-01"}, format="json")
    assert "id_number" in error_codes(wrong_birth) or "birth_date" in error_codes(wrong_birth)
    assert Development.objects.get(pk=development.pk).name == "李四"


REACH = {  # (read, write) of a file in 0101
    "county_admin": (200, "ok"),
    "alice": (200, "ok"),
    "bob": (404, 404),
    "viewer": (200, 403),
    "charlie": (404, 404),
    "dora": (404, 404),
    "anonymous": (401, 401),
}


@pytest.mark.parametrize("who", USERS)
def test_reveal_is_scoped_and_audited(api, world, who):
    development = walk(world, until=StepKind.APPLICATION)
    response = api(who).post(f"{file_url(development.pk)}reveal-id/")
    reveals = ObjectChange.objects.filter(action="reveal", object_id=development.pk)
    if REACH[who][1] == "ok":
        assert response.status_code == 200
        assert response.json() == {"id_number": person(1)["id_number"]}
        assert response["Cache-Control"] == "no-store"
        assert reveals.get().user_name == getattr(world, who).username
    else:
        assert_error(response, REACH[who][1])
        assert not reveals.exists()


@pytest.mark.parametrize("who", USERS)
def test_read_and_write_each_file_endpoint_by_scope(api, world, who):
    development = walk(world, until=StepKind.TALK)
    talk = development.steps.get(kind=StepKind.TALK)
    client = api(who)
    read, write = REACH[who]
    response = client.get(file_url(development.pk))
    assert response.status_code == read
    if read != 200:
        assert_error(response, read)
    patched = client.patch(file_url(development.pk), {"phone": "110"}, format="json")
    assert patched.status_code == (200 if write == "ok" else write)
    # Every step endpoint: 404 outside the scope, 403 when visible but not changeable (before the body).
    for kind in STEP_KINDS:
        response = client.post(step_url(development.pk, kind), {}, format="json")
        if write == "ok":
            assert response.status_code == 400, (kind, response.content)
        else:
            assert_error(response, write)
    removed = client.delete(f"{URL}steps/{talk.pk}/")
    assert removed.status_code == (204 if write == "ok" else write)
    assert Step.objects.filter(pk=talk.pk).exists() == (write != "ok")


def test_removing_a_step(api, world):
    development = walk(world, until=StepKind.REVIEW)
    client = api("alice")
    mentors = development.steps.get(kind=StepKind.MENTORS)
    assert error_codes(client.delete(f"{URL}steps/{mentors.pk}/")) == {"step": ["not_latest"]}
    review = development.steps.get(kind=StepKind.REVIEW)
    assert client.delete(f"{URL}steps/{review.pk}/").status_code == 204
    assert client.delete(f"{URL}steps/{review.pk}/").status_code == 404
    assert client.delete(f"{URL}steps/99999999999999999999999/").status_code == 404
    other = walk(world, until=StepKind.ADMISSION, seq=2)
    admission = other.steps.get(kind=StepKind.ADMISSION)
    assert error_codes(client.delete(f"{URL}steps/{admission.pk}/")) == {"step": ["not_removable"]}


def test_removing_a_side_exit_reopens_the_file(api, world):
    development = walk(world, until=StepKind.APPLICATION)
    client = api("alice")
    response = record(client, development.pk, "withdrawal", START + dt.timedelta(days=3))
    step_id = response.json()["steps"][-1]["id"]
    assert client.delete(f"{URL}steps/{step_id}/").status_code == 204
    assert client.get(file_url(development.pk)).json()["stage"] == Stage.APPLICANT


# ---- Lists and the board ---------------------------------------------------------------------------


@pytest.fixture
def files(world) -> dict[str, Development]:
    from jiceng.development import services

    return {
        "a_applicant": walk(world, until=StepKind.APPLICATION, seq=1),
        "a_activist": walk(world, until=StepKind.ACTIVIST, seq=2),
        "b_applicant": services.apply(actor=world.bob, org=world.branch_b, on=START, **person(3)),
        "c_candidate": walk(world, until=StepKind.CANDIDATE, seq=4, actor=world.county_admin),
    }


def _move_to(development: Development, org) -> None:  # noqa: ANN001
    Development.objects.filter(pk=development.pk).update(org=org, org_path=org.path)


LISTED = {
    "county_admin": {"a_applicant", "a_activist", "b_applicant", "c_candidate"},
    "alice": {"a_applicant", "a_activist"},
    "bob": {"b_applicant"},
    "viewer": {"a_applicant", "a_activist", "b_applicant", "c_candidate"},
    "charlie": set(),
    "dora": set(),
}


@pytest.mark.parametrize("who", [u for u in USERS if u != "anonymous"])
def test_the_list_is_scoped_and_counted_in_scope(api, world, files, who):
    _move_to(files["c_candidate"], world.branch_c)
    response = api(who).get(URL)
    assert response.status_code == 200
    conforms(response, "/api/v1/development/", "GET")
    body = response.json()
    ids = {f["id"] for f in body["results"]}
    assert ids == {files[k].pk for k in LISTED[who]}
    assert body["count"] == len(LISTED[who])


def test_the_list_filters_by_subtree_and_stage(api, world, files):
    _move_to(files["c_candidate"], world.branch_c)
    client = api("county_admin")

    def names(query: str) -> set[str]:
        response = client.get(URL + query)
        assert response.status_code == 200, response.content
        return {f["name"] for f in response.json()["results"]}

    assert names("?org=0103") == {files["c_candidate"].name}
    assert names("?org=0101") == {files["a_applicant"].name, files["a_activist"].name}
    assert names("?stage=applicant") == {files["a_applicant"].name, files["b_applicant"].name}
    assert names("?stage=applicant&stage=candidate&org=01") == {
        files["a_applicant"].name,
        files["b_applicant"].name,
        files["c_candidate"].name,
    }
    paged = client.get(URL + "?page_size=1&page=2").json()
    assert paged["count"] == 4 and len(paged["results"]) == 1
    assert "stage" in error_codes(client.get(URL + "?stage=nonsense"))
    # A subtree outside alice's scope reads like an unknown code.
    assert "org" in error_codes(api("alice").get(URL + "?org=0102"))
    assert "org" in error_codes(api("alice").get(URL + "?org=9999"))


def test_the_board_of_a_branch_and_of_a_committee(api, world, files):
    _move_to(files["c_candidate"], world.branch_c)
    response = api("alice").get(URL + "board/?org=0101")
    assert response.status_code == 200, response.content
    conforms(response, "/api/v1/development/board/", "GET")
    board = response.json()
    assert board["org"] == "0101"
    assert board["counts"]["applicant"] == 1 and board["counts"]["activist"] == 1
    assert board["counts"]["candidate"] == 0 and board["total_open"] == 2
    assert {c["stage"]: [f["id"] for f in c["files"]] for c in board["columns"]} == {
        "applicant": [files["a_applicant"].pk],
        "activist": [files["a_activist"].pk],
    }
    assert {f["rule"] for f in board["overdue"]} == {"dev.talk_within_month", "dev.review_half_yearly"}
    assert board["children"] == []
    whole = api("county_admin").get(URL + "board/?org=01").json()
    assert whole["total_open"] == 4
    children = {c["org"]: c for c in whole["children"]}
    assert set(children) == {"0101", "0102", "0103"}
    assert children["0101"]["counts"] == {"applicant": 1, "activist": 1}
    assert children["0102"]["counts"] == {"applicant": 1}
    assert children["0103"]["counts"] == {"candidate": 1}
    assert children["0101"]["overdue"] == 2


@pytest.mark.parametrize(
    ("who", "org", "status"),
    [
        ("alice", "01", 404),
        ("alice", "0102", 404),
        ("bob", "0101", 404),
        ("charlie", "0101", 404),
        ("dora", "0101", 404),
        ("viewer", "01", 200),
        ("county_admin", "nope!", 404),
        ("anonymous", "0101", 401),
    ],
)
def test_the_board_is_scoped(api, world, files, who, org, status):
    response = api(who).get(URL + f"board/?org={org}")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["total_open"] == 4
    else:
        assert_error(response, status)


def test_the_board_needs_an_organization(api, world):
    assert "org" in error_codes(api("alice").get(URL + "board/"))
