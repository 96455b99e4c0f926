import pytest


@pytest.fixture(autouse=True)
def _fresh_index(settings, tmp_path):
    """Each test starts without this process's index (a rolled-back test's version number
    comes back in the next one) and stores course files in a temporary directory."""
    from salesops.knowledge import search

    settings.KNOWLEDGE_ROOT = tmp_path / "knowledge"
    search.drop_local()
    yield
    search.drop_local()


@pytest.fixture
def corpus(db):
    from salesops.knowledge.defaults.load import install_corpus

    return install_corpus()
