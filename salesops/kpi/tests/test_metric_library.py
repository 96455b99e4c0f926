"""The metric library services: definitions validated by the engine, each error on its
field; the code unique and fixed; built-ins editable but not deletable; "try it"."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from salesops.kpi import metric_library, schemes
from salesops.kpi.models import Metric

from .schemes_data import build

pytestmark = pytest.mark.django_db

BASE = {
    "code": "t_deals_won",
    "name_zh": "赢单数",
    "name_en": "Deals won",
    "kind": "aggregate",
    "source": "deals",
    "filter": 'status == "won"',
    "aggregate": "count",
    "date_field": "closed_at",
}


@pytest.fixture
def world():
    return build()


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


def test_create_then_code_is_fixed(world):
    admin = world.org.admin
    metric = metric_library.metric_create(by=admin, data=BASE)
    assert metric.created_by == admin and metric.history.count() == 1
    errors = errors_of(lambda: metric_library.metric_create(by=admin, data=BASE))
    assert "exists already" in errors["code"][0]
    errors = errors_of(
        lambda: metric_library.metric_update(by=admin, metric=metric, data={"code": "other"})
    )
    assert "cannot change" in errors["code"][0]
    metric_library.metric_update(by=admin, metric=metric, data={"name_en": "Won deals"})
    assert Metric.objects.get(pk=metric.pk).name_en == "Won deals"


def test_definition_errors_name_their_field(world):
    admin = world.org.admin
    errors = errors_of(
        lambda: metric_library.metric_create(
            by=admin, data={**BASE, "code": "Bad Code", "filter": "colour == 1"}
        )
    )
    assert "code" in errors
    errors = errors_of(
        lambda: metric_library.metric_create(by=admin, data={**BASE, "filter": "colour == 1"})
    )
    assert "colour" in " ".join(errors["filter"])
    errors = errors_of(
        lambda: metric_library.metric_create(
            by=admin, data={**BASE, "kind": "derived", "source": "", "formula": "t_calls / nope"}
        )
    )
    assert "nope" in " ".join(errors["formula"])
    assert not Metric.objects.filter(code=BASE["code"]).exists()


def test_derived_metric_over_library_codes(world):
    metric = metric_library.metric_create(
        by=world.org.admin,
        data={
            "code": "t_calls_per_visit",
            "name_zh": "每次拜访电话",
            "name_en": "Calls per visit",
            "kind": "derived",
            "formula": "t_calls / t_visits",
            "unit": "number",
        },
    )
    start, end = schemes.last_month()
    values = {
        v["user"]: v["value"]
        for v in metric_library.metric_try(by=world.org.admin, metric=metric, start=start, end=end)
    }
    assert values["Rep A"] == 2
    assert values["Rep B"] is None  # one call, no visit: a division by zero


def test_try_it_gives_every_scored_users_value(world):
    start, end = schemes.last_month()
    values = {
        v["user"]: v["value"]
        for v in metric_library.metric_try(
            by=world.org.admin, metric=world.calls, start=start, end=end
        )
    }
    assert values["Rep A"] == 2 and values["Rep B"] == 1 and values["Rep D"] == 0


def test_delete_only_unused_and_not_built_in(world):
    admin = world.org.admin
    with pytest.raises(metric_library.MetricInUse):
        metric_library.metric_delete(by=admin, metric=world.calls)
    spare = metric_library.metric_create(by=admin, data=BASE)
    Metric.objects.filter(pk=spare.pk).update(is_builtin=True)
    spare.refresh_from_db()
    with pytest.raises(metric_library.MetricInUse):
        metric_library.metric_delete(by=admin, metric=spare)
    metric_library.metric_update(by=admin, metric=spare, data={"name_zh": "改名"})  # editable
    Metric.objects.filter(pk=spare.pk).update(is_builtin=False)
    spare.refresh_from_db()
    metric_library.metric_delete(by=admin, metric=spare)
    assert not Metric.objects.filter(pk=spare.pk).exists()


def test_list_filters(world):
    codes = lambda **kw: set(metric_library.metrics_list(**kw).values_list("code", flat=True))  # noqa: E731
    assert codes(q="t_vis") == {"t_visits"}
    assert "t_visits" in codes(group="process") and "t_calls" not in codes(group="process")
    assert "t_calls" not in codes(group="unused")
    assert {"t_calls", "t_visits"} <= codes(source="activities")


def test_only_configurers(world):
    with pytest.raises(PermissionDenied):
        metric_library.metric_create(by=world.org.manager_east, data=BASE)
    with pytest.raises(PermissionDenied):
        metric_library.metric_update(by=world.org.rep_a, metric=world.calls, data={})


def test_source_help_lists_fields_and_codes():
    help_ = metric_library.source_help("activities")
    kind = next(f for f in help_["fields"] if f["name"] == "kind")
    assert {"code": "visit"}.items() <= next(
        c for c in kind["choices"] if c["code"] == "visit"
    ).items()
    assert help_["default_date"] == "started_at"
    assert metric_library.source_help("nope") is None
