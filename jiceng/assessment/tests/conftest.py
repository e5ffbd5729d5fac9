from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
