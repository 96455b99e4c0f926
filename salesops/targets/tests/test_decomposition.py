"""Decomposition by the capability-resource matrix on a known data set (hand-computed),
the quadrant boundaries, the default quadrant, exact sums, the refusals and the manager's
adjustment.

The data set (today 2026-07-15, window from 2026-01-15; key accounts = level A; default
weights 1.30 / 1.00 / 1.10 / 0.70; plan on the whole company, pool 1,000.00)::

    East      rep_a  won 100, 300 (C) and 200 (A); lost 50 (A)  x = 200, y = 1/2
              rep_b  won 500 (A); lost 3 × 10 (A)               x = 500, y = 1/4
              → East medians x = 350, y = 0.375
              rep_a: low size, high win  → low_high  (1.00)
              rep_b: high size, low win  → high_low  (1.10)
    Shanghai  rep_c  won 9,999 200 days ago (outside)           no history → low_low (0.70)
    South     rep_d  won 1,000 (C)                              x = 1000, y none
              → South has x only: x median 1000 (own), y median = plan's 0.375
              rep_d: x at the median counts high, no y → low → high_low (1.10)

Σ weights 3.90; in cents 100000 × w / 3.9 = 25641.03, 28205.13, 17948.72, 28205.13:
floors add up to 99999, the cent left goes to the largest remainder (rep_c, .72):
256.41, 282.05, 179.49, 282.05.
"""

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.targets import decomposition
from salesops.targets.decomposition import Medians, PlanStateConflict, Point, quadrant_of
from salesops.targets.models import Allocation, PlanState, TargetPolicy

from .factories_decomposition import NOW, build_dataset, closed_deal, make_plan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def dataset(org):
    return build_dataset(org)


def rows(plan):
    return {a.rep.username: a for a in Allocation.objects.filter(plan=plan, version=plan.version)}


def test_hand_computed_decomposition(dataset):
    org = dataset
    plan = make_plan(org.company, pool="1000.00")
    result = decomposition.decompose(plan=plan, actor=org.director)
    assert len(result) == 4
    got = rows(plan)
    a, b, c, d = got["rep_a"], got["rep_b"], got["rep_c"], got["rep_d"]
    assert (a.median_deal, a.key_win_rate, a.won_deals) == (D("200.00"), D("0.5000"), 3)
    assert (b.median_deal, b.key_win_rate, b.won_deals) == (D("500.00"), D("0.2500"), 1)
    assert (c.median_deal, c.key_win_rate, c.won_deals) == (None, None, 0)
    assert (d.median_deal, d.key_win_rate, d.won_deals) == (D("1000.00"), None, 1)
    assert [x.quadrant for x in (a, b, c, d)] == ["low_high", "high_low", "low_low", "high_low"]
    assert [x.weight for x in (a, b, c, d)] == [D("1.00"), D("1.10"), D("0.70"), D("1.10")]
    assert [x.amount for x in (a, b, c, d)] == [
        D("256.41"),
        D("282.05"),
        D("179.49"),
        D("282.05"),
    ]
    assert sum(x.amount for x in got.values()) == plan.pool
    assert [x.share for x in (a, b, c)] == [D("0.25641026"), D("0.28205128"), D("0.17948718")]
    # 25641 cents over 12 equal months: 2136 each + 9 cents to the first nine months.
    assert a.monthly == ["21.37"] * 9 + ["21.36"] * 3
    assert a.team == org.east and c.team == org.shanghai
    plan.refresh_from_db()
    assert plan.state == PlanState.DECOMPOSED
    assert a.history.first().history_user == org.director


def test_decomposing_again_replaces_the_version_rows(dataset):
    plan = make_plan(dataset.company, pool="1000.00")
    decomposition.decompose(plan=plan, actor=dataset.admin)
    plan.refresh_from_db()
    plan.pool = D("2000.00")
    plan.save()
    decomposition.decompose(plan=plan, actor=dataset.admin)
    assert Allocation.objects.filter(plan=plan).count() == 4
    assert sum(a.amount for a in rows(plan).values()) == D("2000.00")


def test_seasonal_index_splits_months_exactly(dataset):
    index = ["0.5"] + ["1"] * 10 + ["1.5"]
    plan = make_plan(dataset.company, pool="1200.00", seasonal=index)
    decomposition.decompose(plan=plan, actor=dataset.admin)
    for row in rows(plan).values():
        months = [D(m) for m in row.monthly]
        assert sum(months) == row.amount and months[0] < months[1] < months[11]


def test_product_line_narrows_the_deals(org):
    closed_deal(org.rep_a, 100, product_line="hw")
    closed_deal(org.rep_a, 900)
    plan = make_plan(org.company, product_line="hw")
    decomposition.decompose(plan=plan, actor=org.admin)
    got = rows(plan)
    assert got["rep_a"].median_deal == D("100.00") and got["rep_a"].won_deals == 1


def test_nobody_with_history_all_default_equal_split(org):
    plan = make_plan(org.company, pool="0.10")
    decomposition.decompose(plan=plan, actor=org.admin)
    got = rows(plan)
    assert {r.quadrant for r in got.values()} == {"low_low"}
    assert sorted(r.amount for r in got.values()) == [D("0.02"), D("0.02"), D("0.03"), D("0.03")]


def test_zero_weights_still_add_up(org):
    policy = TargetPolicy.current()
    policy.quadrants = {k: {**v, "weight": "0"} for k, v in policy.quadrants.items()}
    policy.save()
    plan = make_plan(org.company, pool="100.00")
    decomposition.decompose(plan=plan, actor=org.admin)
    assert [r.amount for r in rows(plan).values()] == [D("25.00")] * 4


def test_quadrant_boundaries_at_the_median_count_as_high():
    policy = TargetPolicy(default_quadrant="low_low")
    m = Medians(D("100.00"), D("0.5000"), "team")

    def point(x, y, won=1, key=1):
        return Point(1, 1, x, y, won, key)

    assert quadrant_of(point(D("100.00"), D("0.5000")), m, policy) == "high_high"
    assert quadrant_of(point(D("99.99"), D("0.5000")), m, policy) == "low_high"
    assert quadrant_of(point(D("100.00"), D("0.4999")), m, policy) == "high_low"
    assert quadrant_of(point(D("99.99"), D("0.4999")), m, policy) == "low_low"
    assert quadrant_of(point(None, D("0.9"), won=0), m, policy) == "low_high"
    assert quadrant_of(point(None, None, 0, 0), m, TargetPolicy(default_quadrant="low_high")) == (
        "low_high"
    )


def test_equal_sizes_in_a_team_are_both_high(org):
    closed_deal(org.rep_a, 300)
    closed_deal(org.rep_b, 300)
    plan = make_plan(org.east)
    decomposition.decompose(plan=plan, actor=org.admin)
    got = rows(plan)
    assert got["rep_a"].quadrant == got["rep_b"].quadrant == "high_low"


@pytest.mark.parametrize(
    "state, words",
    [
        (PlanState.DRAFT, "calibrate"),
        (PlanState.CALIBRATED, "choose the baseline scenario"),
        (PlanState.PUBLISHED, "published"),
    ],
)
def test_refused_in_the_wrong_state(org, state, words):
    plan = make_plan(org.company, state=state)
    with pytest.raises(PlanStateConflict) as caught:
        decomposition.decompose(plan=plan, actor=org.admin)
    assert words in caught.value.message_dict["state"][0]


def test_only_configurers_decompose_and_bad_policy_is_named(org):
    plan = make_plan(org.company)
    with pytest.raises(PermissionDenied):
        decomposition.decompose(plan=plan, actor=org.manager_east)
    policy = TargetPolicy.current()
    policy.quadrants = {**policy.quadrants, "high_high": {"weight": "-1"}}
    policy.save()
    plan.pool = D("0")
    plan.save()
    with pytest.raises(ValidationError) as caught:
        decomposition.decompose(plan=plan, actor=org.admin)
    assert set(caught.value.message_dict) == {"quadrants", "pool"}


# --- the manager's adjustment -----------------------------------------------------------


@pytest.fixture
def decomposed(dataset):
    plan = make_plan(dataset.company, pool="1000.00")
    decomposition.decompose(plan=plan, actor=dataset.admin)
    plan.refresh_from_db()
    return plan


def test_manager_moves_money_between_their_reps(dataset, decomposed):
    org = dataset
    decomposition.shares_adjust(
        plan=decomposed,
        actor=org.manager_east,
        amounts={org.rep_a.pk: D("266.41"), str(org.rep_b.pk): "272.05"},
        reason="rep_a takes over a key account",
    )
    got = rows(decomposed)
    assert got["rep_a"].amount == D("266.41") and got["rep_b"].amount == D("272.05")
    assert got["rep_a"].adjusted and got["rep_a"].reason == "rep_a takes over a key account"
    assert got["rep_a"].share == D("0.26641000")
    assert sum(D(m) for m in got["rep_a"].monthly) == D("266.41")
    assert not got["rep_c"].adjusted
    assert sum(r.amount for r in got.values()) == decomposed.pool
    assert got["rep_a"].history.first().history_user == org.manager_east


def test_adjustment_must_keep_the_total_and_give_a_reason(dataset, decomposed):
    org = dataset
    with pytest.raises(ValidationError) as caught:
        decomposition.shares_adjust(
            plan=decomposed, actor=org.manager_east, amounts={org.rep_a.pk: "266.41"}, reason=""
        )
    errors = caught.value.message_dict
    assert set(errors) == {"reason"}
    with pytest.raises(ValidationError) as caught:
        decomposition.shares_adjust(
            plan=decomposed, actor=org.manager_east, amounts={org.rep_a.pk: "266.41"}, reason="x"
        )
    assert "10.00 more than the pool" in caught.value.message_dict["amounts"][0]
    with pytest.raises(ValidationError) as caught:
        decomposition.shares_adjust(
            plan=decomposed,
            actor=org.manager_east,
            amounts={org.rep_a.pk: "-1", 999999: "1"},
            reason="x",
        )
    assert len(caught.value.message_dict["amounts"]) == 2
    assert rows(decomposed)["rep_a"].amount == D("256.41")


def test_adjustment_only_for_ones_own_reps_and_not_once_published(dataset, decomposed):
    org = dataset
    with pytest.raises(PermissionDenied):
        decomposition.shares_adjust(
            plan=decomposed,
            actor=org.manager_south,
            amounts={org.rep_a.pk: "246.41", org.rep_d.pk: "292.05"},
            reason="x",
        )
    decomposed.state = PlanState.PUBLISHED
    decomposed.save()
    with pytest.raises(PlanStateConflict):
        decomposition.shares_adjust(
            plan=decomposed,
            actor=org.admin,
            amounts={org.rep_a.pk: "256.41"},
            reason="x",
        )


def test_decomposing_again_updates_rows_in_place_and_drops_leavers(dataset, decomposed):
    org = dataset
    before = rows(decomposed)
    decomposition.shares_adjust(
        plan=decomposed,
        actor=org.admin,
        amounts={org.rep_a.pk: "266.41", org.rep_b.pk: "272.05"},
        reason="x",
    )
    org.rep_c.is_active = False
    org.rep_c.save()
    decomposition.decompose(plan=decomposed, actor=org.director)
    after = rows(decomposed)
    assert set(after) == {"rep_a", "rep_b", "rep_d"}
    assert after["rep_a"].pk == before["rep_a"].pk and not after["rep_a"].adjusted
    # Σ weights 3.20: 1000 × 1.00 / 3.2 = 312.50, 1.10 / 3.2 = 343.75 twice.
    assert [after[r].amount for r in ("rep_a", "rep_b", "rep_d")] == [
        D("312.50"),
        D("343.75"),
        D("343.75"),
    ]
    latest = after["rep_a"].history.first()
    assert latest.history_user == org.director and latest.amount == D("312.50")
    assert after["rep_a"].updated_at > before["rep_a"].updated_at
