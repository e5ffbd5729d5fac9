import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads and their reports go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
