import pytest


@pytest.fixture(autouse=True)
def _evidence_root(settings, tmp_path):
    """Evidence files go to a temporary directory, never var/private."""
    settings.EVIDENCE_ROOT = tmp_path / "evidence"


@pytest.fixture
def pipeline(db):
    from .factories import default_pipeline

    return default_pipeline()
