"""Every page and endpoint of the notifications app answers for the signed-in user's own rows only."""

from __future__ import annotations

from django.urls import reverse

from jiceng.core.testing import Case, coverage_test, scope_test
from jiceng.notifications.models import Notification


def alices(world):
    """A notification of alice's (made on first use in the test)."""
    if not hasattr(world, "_alices"):
        world._alices = Notification.objects.create(
            user=world.alice,
            event_key="tests.x",
            title="标题",
            text="内容",
            link="/",
            org_path=world.branch_a.path,
        )
    return {"pk": world._alices.pk}


def only_alice(ok):
    return lambda world, who: ok if who == "alice" else (404,)


CASES = [
    Case("notifications:inbox"),
    Case("notifications:inbox", query="show=all"),
    Case("notifications:preferences"),
    Case("notifications:preferences", method="post", ok=(302,)),
    Case("notifications:read_all", method="post", ok=(302,)),
    Case("notifications:read", args=alices, method="post", expect=only_alice((302,))),
    Case("notifications:open", args=alices, method="post", expect=only_alice((302,))),
    Case("api-notification-list"),
    Case("api-notification-list", query="unread=1"),
    Case("api-notification-unread"),
    Case("api-notification-read", method="post", ok=(400,)),
    Case("api-notification-preferences"),
    Case("api-notification-preferences", method="put", ok=(400,)),
]

test_scope = scope_test(CASES)
test_every_page_has_a_case = coverage_test("notifications", CASES)
test_every_endpoint_has_a_case = coverage_test("api-notification", CASES)


def test_lists_and_counts_show_only_the_users_own(world, api, client_for):
    for user, n in ((world.alice, 2), (world.bob, 1)):
        for i in range(n):
            Notification.objects.create(
                user=user, event_key="tests.x", title="标题", text=f"给{user.username}的{i}", org_path=""
            )
    body = api("bob").get(reverse("api-notification-list")).json()
    assert [r["text"] for r in body["results"]] == ["给bob的0"]
    assert api("bob").get(reverse("api-notification-unread")).json() == {"unread": 1}
    page = client_for(world.bob).get(reverse("notifications:inbox")).content.decode()
    assert "给bob的0" in page and "给alice" not in page
    # Marking someone else's by id through the API marks nothing.
    theirs = Notification.objects.filter(user=world.alice).values_list("pk", flat=True)
    answer = api("bob").post(reverse("api-notification-read"), {"ids": list(theirs)}, format="json").json()
    assert answer == {"marked": 0, "unread": 1}
    assert Notification.objects.filter(user=world.alice, read_at__isnull=True).count() == 2


def test_marking_read_with_htmx_swaps_the_item_and_the_badge(world, client_for):
    n = Notification.objects.create(
        user=world.alice, event_key="tests.x", title="标题", text="内容", org_path=""
    )
    answer = client_for(world.alice).post(reverse("notifications:read", args=[n.pk]), HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200 and f'id="notification-{n.pk}"' in html
    assert 'hx-swap-oob="true"' in html and 'data-unread="0"' in html
    n.refresh_from_db()
    assert n.read_at is not None


def test_opening_follows_only_a_local_link(world, client_for):
    n = Notification.objects.create(
        user=world.alice, event_key="tests.x", title="t", text="t", link="https://evil.example/", org_path=""
    )
    answer = client_for(world.alice).post(reverse("notifications:open", args=[n.pk]))
    assert answer["Location"] == reverse("notifications:inbox")


def test_preferences_page_saves_the_users_choices(world, client_for):
    from jiceng.notifications.models import Preference

    client = client_for(world.alice)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "发展党员步骤到期" in page and 'name="development.step_due:inbox"' in page
    client.post(reverse("notifications:preferences"), {"reports.finding_new:inbox": "on"})
    assert Preference.objects.get(user=world.alice, event_key="reports.finding_new", channel="inbox").enabled
    assert not Preference.objects.get(
        user=world.alice, event_key="development.step_due", channel="inbox"
    ).enabled


def test_the_openapi_schema_documents_the_endpoints(world, api):
    schema = api("alice").get(reverse("openapi")).json()
    for p in (
        "/api/v1/notifications/",
        "/api/v1/notifications/unread-count/",
        "/api/v1/notifications/read/",
        "/api/v1/notifications/preferences/",
    ):
        assert p in schema["paths"], p
