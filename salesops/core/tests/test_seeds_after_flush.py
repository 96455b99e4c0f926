"""The migrations' seeded rows are back after a flushing test (salesops/core/tests/seeds.py).

pytest-django runs the transactional test before the test without a database, so the
second one reads the tables right after the first one's flush."""

from salesops.core.models import ChoiceList
from salesops.notifications.models import DeliveryPolicy


def test_a_transactional_test_flushes_every_table(transactional_db):
    assert DeliveryPolicy.objects.count() == 1  # the migration's row, committed


def test_after_the_flush_the_seeded_rows_are_back(django_db_blocker):
    with django_db_blocker.unblock():
        assert DeliveryPolicy.objects.count() == 1
        assert ChoiceList.objects.exists()
