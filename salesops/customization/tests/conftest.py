import pytest

from .factories import make_definition


@pytest.fixture
def define(org):
    """``define(key, type, **options)``: a custom field of accounts (``entity=`` for others)."""

    def build(key, type="text", entity="account", **data):
        return make_definition(org.admin, entity=entity, key=key, type=type, **data)

    return build
