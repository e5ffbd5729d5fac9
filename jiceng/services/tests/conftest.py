from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:  # noqa: ANN001
    """Residents' photos go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _shipped(request) -> None:  # noqa: ANN001
    """The shipped states and categories, restored if a transactional test (a browser test, which
    flushes the database) ran before on this worker."""
    if {"db", "transactional_db"} & set(request.fixturenames):
        from jiceng.services.seed import ensure_shipped

        request.getfixturevalue("db" if "db" in request.fixturenames else "transactional_db")
        ensure_shipped()


@pytest.fixture
def category(db):  # noqa: ANN001, ANN201
    from jiceng.services.models import Category

    return Category.objects.get(name="环境卫生", parent=None)


@pytest.fixture
def submit(world, category):  # noqa: ANN001, ANN201
    """``submit(**overrides)``: a request at branch A's (和平社区's) desk, and its token."""
    from jiceng.services import services

    def make(**kw):  # noqa: ANN003, ANN202
        args = {
            "org": world.branch_a,
            "category": category,
            "text": "3号楼门口垃圾两天没人清运",
            "address": "3号楼2单元门口",
            "name": "李大妈",
            "phone": "13912345678",
            "client_address": "203.0.113.9",
        }
        args.update(kw)
        return services.submit_request(**args)

    return make


@pytest.fixture
def partner(world):  # noqa: ANN001, ANN201
    """A property company registered by the street (root), with a contact account ``erin`` (no org role)."""
    from jiceng.core.models import User
    from jiceng.partners.models import PartnerUnit

    erin = User.objects.create_user("erin", password="correct-horse-battery", full_name="物业联系人")
    unit = PartnerUnit.objects.create(name="安居物业公司", kind="property", org=world.root)
    unit.contacts.add(erin)
    world.erin = erin
    world.partner = unit
    return unit
