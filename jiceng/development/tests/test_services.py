"""The services: effects on the roster, audit, scope, refusals that save nothing, and the engine."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from jiceng.core.compliance import evaluate
from jiceng.core.models import ObjectChange, RuleVersion
from jiceng.development import selectors, services
from jiceng.development.models import Development, Stage, Step, StepKind
from jiceng.development.tests.helpers import VOTES, person, plan, walk
from jiceng.members.models import Member, Membership
from jiceng.orgs.models import OrgTally
from jiceng.orgs.rules import add_months

D = dt.date
pytestmark = pytest.mark.django_db


def tally(org, key: str) -> int:  # noqa: ANN001
    row = OrgTally.objects.filter(org=org).first()
    return row.counts.get(key, 0) if row else 0


def test_application_opens_a_file_and_is_audited(world) -> None:  # noqa: ANN001
    d = services.apply(actor=world.alice, org=world.branch_a, on=D(2026, 1, 5), **person(1))
    assert (d.stage, d.stage_since, d.applied_on) == (Stage.APPLICANT, D(2026, 1, 5), D(2026, 1, 5))
    assert d.id_number_masked.startswith("1101") and "*" in d.id_number_masked
    assert d.reveal_id_number() == person(1)["id_number"]
    assert list(d.steps.values_list("kind", flat=True)) == ["application"]
    actions = ObjectChange.objects.filter(user=world.alice).values_list("content_type__model", "action")
    assert ("development", "create") in actions and ("step", "create") in actions
    # the identity number never reaches the change record
    for change in ObjectChange.objects.filter(content_type__model="development"):
        assert person(1)["id_number"] not in str(change.postchange_data)


def test_one_open_file_per_person_and_not_for_members(world) -> None:  # noqa: ANN001
    services.apply(actor=world.alice, org=world.branch_a, on=D(2026, 1, 5), **person(1))
    with pytest.raises(ValidationError) as e:
        services.apply(actor=world.bob, org=world.branch_b, on=D(2026, 1, 6), **person(1))
    assert e.value.error_dict["id_number"][0].code == "development_open"
    assert "和平社区" not in str(e.value)  # never names a branch the user may not see
    member = world.members_a[0]
    with pytest.raises(ValidationError) as e:
        services.apply(
            actor=world.alice,
            org=world.branch_a,
            on=D(2026, 1, 5),
            **{
                **person(2),
                "id_number": member.reveal_id_number(),
                "birth_date": member.birth_date,
                "gender": member.gender,
            },
        )
    assert e.value.error_dict["id_number"][0].code == "already_member"


def test_bad_person_fields_are_named(world) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError) as e:
        services.apply(
            actor=world.alice,
            org=world.branch_a,
            on=D(2026, 1, 5),
            **{**person(1), "id_number": "110101200006155019", "name": ""},
        )
    assert set(e.value.error_dict) == {"id_number", "name"}
    assert Development.objects.count() == 0


def test_scope_of_the_services(world) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        services.apply(actor=world.bob, org=world.branch_a, on=D(2026, 1, 5), **person(1))
    with pytest.raises(PermissionDenied):
        services.apply(actor=world.viewer, org=world.branch_a, on=D(2026, 1, 5), **person(1))
    d = services.apply(actor=world.county_admin, org=world.branch_a, on=D(2026, 1, 5), **person(1))
    with pytest.raises(Http404):
        services.record_step(actor=world.bob, development=d, kind="talk", on=D(2026, 1, 6), person_name="x")
    with pytest.raises(Http404):
        services.apply(actor=world.charlie, org=world.branch_a, on=D(2026, 1, 5), **person(2))
    assert list(selectors.file_list(world.bob)) == []
    assert list(selectors.file_list(world.viewer)) == [d]


def test_a_refused_step_saves_nothing(world) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.REVIEW)
    steps, changes = Step.objects.count(), ObjectChange.objects.count()
    with pytest.raises(services.StepRefused) as e:
        services.record_step(actor=world.alice, development=d, kind="candidate", on=D(2023, 12, 1))
    assert e.value.first.rule == "dev.activist_min_period"
    assert e.value.first.earliest == D(2024, 4, 10)
    assert (Step.objects.count(), ObjectChange.objects.count()) == (steps, changes)
    d.refresh_from_db()
    assert d.stage == Stage.ACTIVIST


def test_admission_creates_the_member_and_conversion_makes_them_full(world) -> None:  # noqa: ANN001
    before = tally(world.branch_a, "status:probationary")
    d = walk(world, until=StepKind.ADMISSION)
    admitted = next(on for kind, on, _ in plan(world) if kind == StepKind.ADMISSION)
    m = d.member
    assert (m.status, m.joined_on, m.full_member_on, m.org_id) == (
        "probationary",
        admitted,
        None,
        world.branch_a.pk,
    )
    assert m.reveal_id_number() == person(1)["id_number"] and m.name == d.name
    membership = Membership.objects.get(member=m)
    assert (membership.started_on, membership.start_reason) == (admitted, "joined")
    assert tally(world.branch_a, "status:probationary") == before + 1
    assert tally(world.root, "status:probationary") >= before + 1
    for kind, on, evidence in plan(world)[
        plan(world).index(next(p for p in plan(world) if p[0] == StepKind.ADMISSION)) + 1 :
    ]:
        services.record_step(actor=world.alice, development=d, kind=kind, on=on, **evidence)
    m.refresh_from_db()
    d.refresh_from_db()
    assert d.stage == Stage.FULL
    assert (m.status, m.full_member_on) == ("full", admitted.replace(year=admitted.year + 1))
    assert tally(world.branch_a, "status:probationary") == before


def test_conversion_counts_from_the_end_of_probation_not_the_meeting(world) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.OATH)
    admitted = d.member.joined_on
    later = admitted.replace(year=admitted.year + 1) + dt.timedelta(days=20)
    services.record_step(actor=world.alice, development=d, kind="conversion", on=later, **VOTES)
    d.member.refresh_from_db()
    assert d.member.full_member_on == admitted.replace(year=admitted.year + 1)


def test_extension_moves_the_probation_and_the_engine_follows(world) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.OATH)
    ends = d.member.joined_on.replace(year=d.member.joined_on.year + 1)
    assert [
        f.rule
        for f in evaluate(world.branch_a, (ends + dt.timedelta(days=1)).isoformat())
        if f.member == d.member_id
    ] == ["member.probation_overdue"]
    services.record_step(actor=world.alice, development=d, kind="extension", on=ends, months=6)
    d.refresh_from_db()
    assert d.extended_to == add_months(ends, 6)
    day = ends + dt.timedelta(days=30)
    assert not [f for f in evaluate(world.branch_a, day.isoformat()) if f.member == d.member_id]
    with pytest.raises(services.StepRefused) as e:
        services.record_step(actor=world.alice, development=d, kind="conversion", on=day, **VOTES)
    assert (e.value.first.rule, e.value.first.earliest) == ("dev.probation_min_period", d.extended_to)
    assert [
        f.rule
        for f in evaluate(world.branch_a, (d.extended_to + dt.timedelta(days=1)).isoformat())
        if f.member == d.member_id
    ] == ["member.probation_overdue"]


def test_revocation_closes_the_member_record(world) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.OATH)
    member = d.member
    before = tally(world.branch_a, "members")
    on = member.joined_on.replace(year=member.joined_on.year + 1)
    services.record_step(actor=world.alice, development=d, kind="revocation", on=on, note="不具备党员条件")
    member.refresh_from_db()
    d.refresh_from_db()
    assert d.stage == Stage.REVOKED and member.closed_on == on and member.closed_reason == "取消预备党员资格"
    assert Membership.objects.get(member=member).ended_on == on
    assert tally(world.branch_a, "members") == before - 1
    assert member not in Member.objects.active()
    # no finding about an overdue probation for a revoked probation
    assert not [f for f in evaluate(world.branch_a, "2026-11-01") if f.member == member.pk]
    # and the person may apply again later
    again = services.apply(actor=world.alice, org=world.branch_a, on=D(2026, 11, 1), **person(1))
    assert again.stage == Stage.APPLICANT


def test_only_the_latest_step_without_effects_can_be_removed(world) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.REVIEW)
    with pytest.raises(ValidationError):
        services.remove_step(actor=world.alice, step=d.steps.get(kind="activist"))
    services.record_step(
        actor=world.alice, development=d, kind="withdrawal", on=D(2024, 5, 1), note="本人申请"
    )
    d.refresh_from_db()
    assert d.stage == Stage.WITHDRAWN
    services.remove_step(actor=world.alice, step=d.steps.get(kind="withdrawal"))
    d.refresh_from_db()
    assert d.stage == Stage.ACTIVIST and d.stage_since == d.steps.get(kind="activist").on
    assert ObjectChange.objects.filter(content_type__model="step", action="delete").count() == 1
    admitted = walk(world, until=StepKind.ADMISSION, seq=2)
    with pytest.raises(ValidationError) as e:
        services.remove_step(actor=world.alice, step=admitted.steps.get(kind="admission"))
    assert e.value.error_dict["step"][0].code == "not_removable"


def test_mentors_and_sponsors_must_be_known_members(world) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.ACTIVIST)
    with pytest.raises(ValidationError) as e:
        services.record_step(
            actor=world.alice, development=d, kind="mentors", on=D(2023, 4, 20), people=[999999]
        )
    assert e.value.error_dict["people"][0].code == "unknown_member"
    dora = Member.objects.get(user=world.dora)  # probationary: not a full member
    with pytest.raises(services.StepRefused) as e:
        services.record_step(
            actor=world.alice, development=d, kind="mentors", on=D(2023, 4, 20), people=[dora.pk]
        )
    assert e.value.first.rule == "dev.mentors"


def test_a_sponsor_under_party_probation_is_refused(world) -> None:  # noqa: ANN001
    from jiceng.members import services as members

    d = walk(world, until=StepKind.CANDIDATE)
    sponsor = world.members_a[2]
    members.update_member(
        actor=world.alice,
        member=sponsor,
        party_probation_from=D(2023, 1, 1),
        party_probation_until=D(2025, 1, 1),
    )
    on = d.stage_since + dt.timedelta(days=5)
    with pytest.raises(services.StepRefused) as e:
        services.record_step(
            actor=world.alice,
            development=d,
            kind="sponsors",
            on=on,
            people=[world.members_a[1].pk, sponsor.pk],
        )
    assert e.value.first.rule == "dev.sponsors" and sponsor.name in e.value.first.message


def test_a_linked_meeting_supplies_the_votes(world) -> None:  # noqa: ANN001
    from jiceng.life.models import Meeting

    d = walk(world, until=StepKind.PRE_REVIEW)
    admitted = next(on for kind, on, _ in plan(world) if kind == StepKind.ADMISSION)
    meeting = Meeting.objects.create(
        org=world.branch_a,
        org_path=world.branch_a.path,
        kind="general_meeting",
        held_on=admitted,
        topic="讨论接收预备党员",
        voted=True,
        voting_members=6,
        voters_present=5,
        votes_yes=5,
    )
    with pytest.raises(ValidationError) as e:
        services.record_step(
            actor=world.alice, development=d, kind="admission", on=admitted, meeting=meeting, votes_yes=4
        )
    assert e.value.error_dict["votes_yes"][0].code == "meeting_mismatch"
    step = services.record_step(
        actor=world.alice, development=d, kind="admission", on=admitted, meeting=meeting
    )
    assert (step.voting_members, step.voters_present, step.votes_yes, step.meeting_id) == (
        6,
        5,
        5,
        meeting.pk,
    )


def test_lateness_is_a_finding_of_the_engine(world) -> None:  # noqa: ANN001
    services.apply(actor=world.alice, org=world.branch_a, on=D(2026, 1, 5), **person(1))
    assert not [f for f in evaluate(world.root, "2026-02-05") if f.rule.startswith("dev.")]
    [f] = [f for f in evaluate(world.root, "2026-02-06") if f.rule.startswith("dev.")]
    assert (f.rule, f.org_code, f.due_on) == ("dev.talk_within_month", "0101", D(2026, 2, 5))
    assert "申请人1" in f.message and f.citation.endswith("第七条")
    # the rule can be switched off from a date, as data
    RuleVersion.objects.create(
        code="dev.talk_within_month", effective_from=D(2026, 2, 1), enabled=False, params={}
    )
    assert not [f for f in evaluate(world.root, "2026-02-06") if f.rule.startswith("dev.")]


def test_approval_lateness_in_the_engine(world) -> None:  # noqa: ANN001
    d = walk(world, until=StepKind.ADMISSION)
    admitted = d.member.joined_on
    deadline = add_months(admitted, 3)
    assert not [f for f in evaluate(world.branch_a, deadline.isoformat()) if f.rule == "dev.approval_within"]
    [f] = [
        f
        for f in evaluate(world.branch_a, (deadline + dt.timedelta(days=1)).isoformat())
        if f.rule == "dev.approval_within"
    ]
    assert f.facts["what"] == "admission"


def test_a_lateness_finding_links_to_the_file(world, client_for) -> None:  # noqa: ANN001
    from django.urls import reverse

    d = services.apply(actor=world.alice, org=world.branch_a, on=D(2026, 1, 5), **person(1))
    client = client_for(world.alice)
    url = reverse("reports:finding", args=["0101"])
    query = {
        "period": "2026-Q1",
        "rule": "dev.talk_within_month",
        "about": "2026-03-31",
        "subject": f"development:{d.pk}",
    }
    text = client.get(url, query).content.decode()
    assert "应于2026年2月5日前派人谈话" in text
    assert reverse("development:detail", args=[d.pk]) in text
    # another branch's secretary sees nothing of it
    assert client_for(world.bob).get(url, query).status_code == 404


def test_a_rule_version_entered_as_data_changes_what_is_refused(world) -> None:  # noqa: ANN001
    """The 2026 revision as data: a (hypothetical) two-year activist period for candidacies from 2024."""
    d = walk(world, until=StepKind.NOTICE)
    activist_on = d.steps.get(kind="activist").on
    candidate_on = next(on for kind, on, _ in plan(world) if kind == StepKind.CANDIDATE)
    RuleVersion.objects.create(
        code="dev.activist_min_period",
        effective_from=D(2024, 1, 1),
        params={"years": 2},
        citation="2026年修订文本",
    )
    with pytest.raises(services.StepRefused) as e:
        services.record_step(actor=world.alice, development=d, kind="candidate", on=candidate_on)
    first = e.value.first
    assert (first.rule, first.earliest, first.citation) == (
        "dev.activist_min_period",
        activist_on.replace(year=activist_on.year + 2),
        "2026年修订文本",
    )


def test_the_activist_decision_links_the_committee_meeting(world) -> None:  # noqa: ANN001
    from jiceng.life.models import Meeting

    d = walk(world, until=StepKind.TALK)
    on = next(on for kind, on, _ in plan(world) if kind == StepKind.ACTIVIST)

    def meeting(kind: str) -> Meeting:
        return Meeting.objects.create(
            org=world.branch_a,
            org_path=world.branch_a.path,
            kind=kind,
            held_on=on,
            topic="研究确定入党积极分子",
        )

    evidence = {"recommendation": "party_members", "filed_on": on}
    with pytest.raises(ValidationError) as e:
        services.record_step(
            actor=world.alice,
            development=d,
            kind="activist",
            on=on,
            meeting=meeting("general_meeting"),
            **evidence,
        )
    assert e.value.error_dict["meeting"][0].code == "meeting_invalid" and "支委会" in str(e.value)
    step = services.record_step(
        actor=world.alice,
        development=d,
        kind="activist",
        on=on,
        meeting=meeting("committee_meeting"),
        **evidence,
    )
    assert step.meeting.kind == "committee_meeting"
