"""Scheme services: validation of a draft (all problems at once, each naming its field,
nothing saved), immutable numbered versions with metric snapshots, the preview over last
month for every member, the live run recomputed after a version in force is saved."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.core import clock
from salesops.kpi import metric_library, schemes
from salesops.kpi.models import RunState, SchemeVersion, ScoreRun

from .schemes_data import WEIGHTS, build, items

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build()


def save(world, **overrides):
    data = {
        "by": world.org.admin,
        "scheme": world.scheme,
        "effective_from": clock.today(),
        "items": items(),
        **WEIGHTS,
    }
    data.update(overrides)
    return schemes.scheme_save_version(**data)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def test_group_weights_must_add_up_to_100_and_nothing_is_saved(world):
    errors = errors_of(lambda: save(world, result_weight="65", quality_weight="0"))
    assert errors["weights"] == ["The group weights must add up to 100; they add up to 90."]
    assert world.scheme.versions.count() == 1


def test_process_weight_within_the_policy_range(world):
    errors = errors_of(lambda: save(world, result_weight="55", process_weight="45"))
    assert "between 25 and 40" in errors["process_weight"][0]


def test_item_weights_of_each_used_group_add_up_to_100(world):
    rows = items()
    rows[0]["weight"] = "80"
    errors = errors_of(lambda: save(world, items=rows))
    assert any("Result metrics must add up to 100; they add up to 80" in m for m in errors["items"])


def test_all_item_problems_at_once_each_naming_its_row(world):
    rows = items()
    rows[0]["formula"] = "min(actual / target, 1.2 * 100"
    rows[1]["formula"] = "actual / goal"
    rows[1]["target_value"] = ""
    rows.append({"metric": "nope", "group": "quality", "weight": "100", "formula": "actual"})
    errors = errors_of(lambda: save(world, items=rows, quality_weight="0"))
    assert "t_calls: Syntax error" in errors["items.0.formula"][0]
    assert "position" in errors["items.0.formula"][0]
    assert "Unknown name “goal”" in errors["items.1.formula"][0]
    assert "actual, days, target, workdays" in errors["items.1.formula"][0]
    assert errors["items.1.target_value"] == ["t_visits: a fixed target needs a value."]
    assert errors["items.2.metric"] == ["Unknown metric “nope”."]
    assert world.scheme.versions.count() == 1


def test_inactive_metric_and_past_date_refused(world):
    metric_library.metric_update(by=world.org.admin, metric=world.visits, data={"is_active": False})
    errors = errors_of(lambda: save(world, effective_from=clock.today() - dt.timedelta(days=1)))
    assert "inactive" in errors["items.1.metric"][0]
    assert "earliest is today" in errors["effective_from"][0]


def test_versions_are_numbered_immutable_and_keep_their_snapshot(world):
    v2 = save(world, items=items(calls_target="4"), note="harder calls")
    assert v2.number == 2
    assert v2.items.get(metric=world.calls).metric_definition["filter"] == 'kind == "call"'
    metric_library.metric_update(
        by=world.org.admin, metric=world.calls, data={"filter": 'kind == "call" and effective'}
    )
    assert world.version.items.get(metric=world.calls).metric_definition["filter"] == (
        'kind == "call"'
    )
    with pytest.raises(ValidationError):
        v2.save()
    with pytest.raises(ValidationError):
        v2.delete()
    assert schemes.version_changes(v2) == ["t_calls: fixed target 2.0000 → 4.0000"]
    v3 = save(world, items=items(calls_target="4"))
    assert v3.number == 3
    assert "t_calls: metric definition changed" in schemes.version_changes(v3)


def test_preview_scores_every_member_over_last_month(world):
    start, end, results = schemes.scheme_preview(
        by=world.org.admin, scheme=world.scheme, items=items(), **WEIGHTS
    )
    assert (start, end) == schemes.last_month()
    assert end < clock.today().replace(day=1)
    rows = {r["user"]: r for r in schemes.preview_rows(results)}
    assert set(rows) == {"Rep A", "Rep B", "Rep C"}  # East and its Shanghai group
    assert rows["Rep A"]["score"] == Decimal("100.00")
    assert rows["Rep B"]["score"] == Decimal("37.50")
    assert [(i["metric"], i["actual"]) for i in rows["Rep B"]["items"]] == [
        ("t_calls", Decimal("1")),
        ("t_visits", Decimal("0")),
    ]
    assert rows["Rep C"]["score"] == 0


def test_preview_division_by_zero_names_the_metric_and_saves_nothing(world):
    before = SchemeVersion.objects.count()
    errors = errors_of(
        lambda: schemes.scheme_preview(
            by=world.org.admin,
            scheme=world.scheme,
            items=items(calls_target="0", formula="actual / target * 100"),
            **WEIGHTS,
        )
    )
    assert any("t_calls" in m or "t_calls 中文" in m for m in errors["preview"]), errors
    assert SchemeVersion.objects.count() == before
    assert not ScoreRun.objects.exists()


def test_preview_reports_syntax_errors_without_scoring(world):
    rows = items(formula="actual /")
    errors = errors_of(
        lambda: schemes.scheme_preview(
            by=world.org.admin, scheme=world.scheme, items=rows, **WEIGHTS
        )
    )
    assert list(errors) == ["items.0.formula"]


def test_a_version_in_force_recomputes_the_live_run(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version = save(world, items=items(calls_target="1"))
    run = ScoreRun.objects.get(scheme=world.scheme, period_start=clock.today().replace(day=1))
    assert run.state == RunState.LIVE
    assert run.version == version


def test_only_configurers(world):
    for user in (world.org.rep_a, world.org.manager_east, world.org.finance):
        with pytest.raises(PermissionDenied):
            save(world, by=user)
        with pytest.raises(PermissionDenied):
            schemes.scheme_create(by=user, name="x", role="rep", team=None)
    assert save(world, by=world.org.director).number == 2


def test_scheme_create_checks_role_and_duplicates(world):
    errors = errors_of(
        lambda: schemes.scheme_create(by=world.org.admin, name=" ", role="cs", team=world.org.east)
    )
    assert set(errors) == {"name", "role"}
    errors = errors_of(
        lambda: schemes.scheme_create(
            by=world.org.admin, name="Dup", role="rep", team=world.org.east
        )
    )
    assert "exists already" in errors["team"][0]
