"""导入 in the navigation: shown to everyone who may import (organization admins and secretaries),
and to nobody else; the link leads to a page that answers them."""

import pytest
from django.urls import reverse

from jiceng.core.testing import page

pytestmark = pytest.mark.django_db


def nav_links(client) -> str:
    html = page(client.get(reverse("home"), follow=True))
    return html[html.index("<nav") : html.index("</nav>")]


@pytest.mark.parametrize(
    ("who", "shown"),
    [("county_admin", True), ("alice", True), ("bob", True), ("viewer", False), ("dora", False)],
)
def test_import_link_for_who_may_import(world, client_for, who, shown):
    client = client_for(getattr(world, who))
    nav = nav_links(client)
    import_url = reverse("roster:import")
    assert (f'href="{import_url}"' in nav) is shown
    assert client.get(import_url).status_code == (200 if shown else 403)
