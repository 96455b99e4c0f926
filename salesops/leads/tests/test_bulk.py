"""The batch intake: a check writes nothing, a write keeps the daily caps and matches
the rows of one batch against each other."""

import pytest

from salesops.leads.bulk import BulkIntake, Row
from salesops.leads.models import Assignment, DailyLeadCount, Inquiry, Lead
from salesops.leads.tests.factories import lead_data, make_channel, make_rule
from salesops.org.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def rows(*numbers, **extra):
    return [Row(data=lead_data(n, **extra)) for n in numbers]


def test_check_writes_nothing_then_write_keeps_the_caps():
    a = UserFactory(username="cap_a", daily_lead_cap=1)
    b = UserFactory(username="cap_b", daily_lead_cap=1)
    rule = make_rule(members=[{"user_id": a.pk}, {"user_id": b.pk}], strategy="round_robin")
    channel = make_channel(kind="import")

    checked = BulkIntake(channel=channel).check(rows(1, 2, 3))
    assert [r.outcome for r in checked] == ["created"] * 3
    assert [r.placement.owner for r in checked[:2]] == [a, b]
    assert checked[2].placement.owner is None  # both reps are at their cap
    assert Lead.objects.count() == 0 and DailyLeadCount.objects.filter(count__gt=0).count() == 0

    written = BulkIntake(channel=channel).write(rows(1, 2, 3))
    leads = [r.lead for r in written]
    assert [lead.owner for lead in leads] == [a, b, None]
    assert Lead.objects.count() == 3 and Inquiry.objects.count() == 3
    counts = dict(DailyLeadCount.objects.values_list("user_id", "count"))
    assert (counts[a.pk], counts[b.pk]) == (1, 1)
    assignment = Assignment.objects.get(lead=leads[0])
    assert (assignment.rule_id, assignment.strategy) == (rule.pk, "round_robin")
    rule.refresh_from_db()
    assert rule.cursor == b.pk


def test_rows_of_one_batch_matched_against_each_other():
    channel = make_channel(kind="import")
    batch = rows(7) + rows(8, phone=lead_data(7)["phone"])
    results = BulkIntake(channel=channel).write(batch)
    assert [r.outcome for r in results] == ["created", "duplicate"]
    assert results[1].earlier is not None and results[1].match.kind == "phone"
    assert Lead.objects.count() == 1


def test_a_batch_refuses_each_bad_row_as_a_lone_intake_does():
    """The batch cleans the defaults every new lead shares once (validation.
    constant_defaults) and the rest per lead: each row gets the errors a lone
    validation gives it, the same bad value each time it comes again."""
    from django.core.exceptions import ValidationError

    from salesops.leads.validation import validate_new

    channel = make_channel(kind="import")
    datas = [
        lead_data(1),
        lead_data(2, email="not-an-email"),
        lead_data(3, contact_name="张" * 101),
        lead_data(4, email="not-an-email", wechat="w" * 65),
        lead_data(5, need="x" * 2001),
        lead_data(6, province="省" * 31, city="市"),
        lead_data(7, industry="no-such-industry"),
        lead_data(8, phone="12345"),
        lead_data(9, need=""),
        lead_data(10, credit_code="91350100M000100Y43"),
        lead_data(11, campaign="c" * 101, product_line="p" * 101),
        lead_data(12, contact_name="张" * 101),
    ]

    def alone(data):
        try:
            validate_new(Lead(channel=channel), dict(data), None)
        except ValidationError as exc:
            return exc.message_dict
        return None

    results = BulkIntake(channel=channel).check([Row(data=d) for d in datas])
    for data, result in zip(datas, results, strict=True):
        expected = alone(data)
        if expected is None:
            assert result.outcome == "created", data
        else:
            assert result.outcome == "error", data
            assert result.error.message_dict == expected, data
    assert sum(alone(d) is not None for d in datas) >= 8  # the bad rows are bad
