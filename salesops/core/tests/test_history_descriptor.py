"""The history manager of tracked models is built once, and still writes and reads rows."""

from salesops.core.history import CachedHistoryDescriptor
from salesops.customers.models import Account
from salesops.customers.tests.factories import make_account


def test_every_tracked_model_uses_the_cached_descriptor():
    assert isinstance(Account.__dict__["history"], CachedHistoryDescriptor)
    assert type(Account.history) is type(Account.history)


def test_history_rows_are_written_and_read_through_it(org):
    account = make_account(org.rep_a, name="华信科技")
    account.name = "华信科技集团"
    account._history_user = org.rep_a
    account.save()
    names = list(account.history.order_by("history_id").values_list("name", flat=True))
    assert names == ["华信科技", "华信科技集团"]
    assert account.history.instance == account
