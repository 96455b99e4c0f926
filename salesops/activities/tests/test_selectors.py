"""Who sees which activities, the filters, and the effective-touch counts per rep."""

from __future__ import annotations

import datetime as dt

from salesops.activities import selectors, services
from salesops.core import clock

from .conftest import NOON, lead_for


def log(user, lead, tag="demo_booked", seconds=45, kind="call", at=NOON):
    with clock.frozen(at):
        return services.activity_log(
            actor=user, kind=kind, lead=lead, tag=tag, duration_seconds=seconds
        )


def ids(qs) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_reps_see_their_own_managers_their_team_directors_everything(org):
    a = log(org.rep_a, lead_for(org.rep_a))
    b = log(org.rep_b, lead_for(org.rep_b))
    c = log(org.rep_c, lead_for(org.rep_c))  # Shanghai, under East
    d = log(org.rep_d, lead_for(org.rep_d))  # South
    assert ids(selectors.activity_list(user=org.rep_a)) == {a.pk}
    assert ids(selectors.activity_list(user=org.rep_b)) == {b.pk}
    assert ids(selectors.activity_list(user=org.manager_east)) == {a.pk, b.pk, c.pk}
    assert ids(selectors.activity_list(user=org.manager_south)) == {d.pk}
    assert ids(selectors.activity_list(user=org.director)) == {a.pk, b.pk, c.pk, d.pk}
    assert ids(selectors.activity_list(user=org.finance)) == {a.pk, b.pk, c.pk, d.pk}


def test_filters(org):
    lead = lead_for(org.rep_a)
    call = log(org.rep_a, lead, "demo_booked", 45, "call")
    visit = log(org.rep_a, lead, "no_answer", 10, "visit", at=NOON + dt.timedelta(days=2))
    user = org.rep_a
    assert ids(selectors.activity_list(user=user, kind="visit")) == {visit.pk}
    assert ids(selectors.activity_list(user=user, tag="demo_booked")) == {call.pk}
    assert ids(selectors.activity_list(user=user, effective=True)) == {call.pk}
    assert ids(selectors.activity_list(user=user, effective=False)) == {visit.pk}
    day = NOON.date()
    assert ids(selectors.activity_list(user=user, date_from=day, date_to=day)) == {call.pk}
    assert ids(selectors.activity_list(user=user, date_from=day + dt.timedelta(days=1))) == {
        visit.pk
    }
    assert ids(selectors.activity_list(user=user, lead_id=lead.pk)) == {call.pk, visit.pk}
    fs = selectors.activity_filterset(user=user, data={"kind": "call", "effective": "true"})
    assert fs.is_valid() and ids(fs.qs) == {call.pk}
    assert not selectors.activity_filterset(user=user, data={"kind": "fax"}).is_valid()


def test_effective_touch_counts_per_rep_and_day(org):
    lead_a, lead_b = lead_for(org.rep_a), lead_for(org.rep_b)
    log(org.rep_a, lead_a, seconds=30)
    log(org.rep_a, lead_a, seconds=120)
    log(org.rep_a, lead_a, seconds=29)  # too short
    # Long enough, but nobody answered: a tag that does not count as a contact never
    # makes an effective touch (SPEC A3), whatever the duration
    log(org.rep_a, lead_a, tag="no_answer", seconds=60)
    log(org.rep_b, lead_b, seconds=31)
    log(org.rep_b, lead_b, seconds=31, at=NOON + dt.timedelta(days=1))
    assert selectors.effective_touch_counts(NOON.date()) == {org.rep_a.pk: 2, org.rep_b.pk: 1}
    assert selectors.effective_touch_counts(NOON.date() + dt.timedelta(days=1)) == {org.rep_b.pk: 1}
    assert selectors.effective_touch_counts(NOON.date(), user=org.rep_b) == {org.rep_b.pk: 1}
