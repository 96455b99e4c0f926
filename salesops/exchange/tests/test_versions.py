"""Template versions: published when the columns change; an older template imports during
the dual-track period with notices, then is refused naming the template to download."""

import datetime as dt

import pytest
from django.utils import translation

from salesops.core import clock
from salesops.exchange import registry, versions
from salesops.exchange.files import FileRefused, Table
from salesops.exchange.models import ExchangePolicy, TemplateVersion
from salesops.exchange.registry import Field, Importer, Kind

pytestmark = pytest.mark.django_db

V1 = [
    Field("name", "客户名称", zh="客户名称", en="Customer name", required=True),
    Field("city", "城市", zh="城市", en="City"),
    Field("fax", "传真", zh="传真", en="Fax"),
]
V2 = [
    Field("name", "公司名称", zh="公司名称", en="Company name", required=True),
    Field("city", "城市", zh="城市", en="City"),
    Field("industry", "行业", zh="行业", en="Industry", kind=Kind.TEXT),
]


class Widgets(Importer):
    entity = "widget"
    label = "Widgets"
    columns = V1

    def fields(self):
        return list(self.columns)

    def export_rows(self, actor):
        return []


@pytest.fixture
def widgets(monkeypatch):
    importer = Widgets()
    monkeypatch.setitem(registry._REGISTRY, "widget", importer)
    with translation.override("zh-hans"):
        yield importer


def publish_v2(importer, *, days_ago: int) -> TemplateVersion:
    """Version 1 published long ago, version 2 ``days_ago`` days ago."""
    first = versions.current("widget")
    TemplateVersion.objects.filter(pk=first.pk).update(
        published_at=clock.now() - dt.timedelta(days=400)
    )
    importer.columns = V2
    second = versions.current("widget")
    TemplateVersion.objects.filter(pk=second.pk).update(
        published_at=clock.now() - dt.timedelta(days=days_ago)
    )
    second.refresh_from_db()
    return second


def table(headers, meta=None) -> Table:
    return Table(headers=headers, rows=[(2, ["甲"] * len(headers))], meta=meta or {})


def test_signature_follows_keys_names_and_order():
    same = [Field("name", "x", zh="客户名称", en="Customer name"), *V1[1:]]
    assert versions.signature(V1) == versions.signature(same)
    assert versions.signature(V1) == versions.signature(versions.specs(V1))
    assert versions.signature(V1) != versions.signature([V1[1], V1[0], V1[2]])
    assert versions.signature(V1) != versions.signature(V2)


def test_version_one_then_a_new_version_only_when_columns_change(widgets):
    first = versions.current("widget")
    assert (first.version, first.changes) == (1, {})
    assert first.fields[0] == {"key": "name", "zh": "客户名称", "en": "Customer name"}
    assert versions.current("widget").pk == first.pk

    widgets.columns = V2
    second = versions.current("widget")
    assert second.version == 2
    assert second.changes == {
        "added": [{"key": "industry", "zh": "行业", "en": "Industry"}],
        "renamed": [
            [
                "name",
                {"zh": "客户名称", "en": "Customer name"},
                {"zh": "公司名称", "en": "Company name"},
            ]
        ],
        "removed": [{"key": "fax", "zh": "传真", "en": "Fax"}],
    }
    assert versions.current("widget").pk == second.pk
    assert TemplateVersion.objects.filter(entity="widget").count() == 2


def test_current_names_or_current_meta_version_give_no_notice(widgets):
    publish_v2(widgets, days_ago=10)
    assert versions.check_file("widget", table(["公司名称", "城市", "行业"])) == (None, [])
    assert versions.check_file("widget", table(["Company name", "City"])) == (None, [])
    found, notices = versions.check_file("widget", table(["x"], {"version": 2.0}))
    assert (found.version, notices) == (2, [])


def test_old_template_within_the_dual_track_period_imports_with_notices(widgets):
    second = publish_v2(widgets, days_ago=10)
    found, notices = versions.check_file("widget", table(["客户名称", "城市", "传真"]))
    assert found.version == 1
    until = (second.published_at + dt.timedelta(days=61)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    assert "列“客户名称”已改名为“公司名称”。" in notices
    assert "新增列：行业。" in notices
    assert any("传真" in n for n in notices)
    assert any("1" in n and until.date().isoformat() in n and "2" in n for n in notices[-1:])


def test_old_template_named_by_its_meta_sheet(widgets):
    publish_v2(widgets, days_ago=10)
    found, notices = versions.check_file(
        "widget", table(["公司名称"], {"entity": "widget", "version": 1})
    )
    assert found.version == 1 and notices


def test_old_template_after_the_dual_track_period_is_refused(widgets):
    second = publish_v2(widgets, days_ago=62)
    with pytest.raises(FileRefused) as info, translation.override("en"):
        versions.check_file("widget", table(["客户名称", "城市", "传真"]))
    error = info.value
    stopped = (second.published_at + dt.timedelta(days=61)).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    assert error.code == "template_expired"
    assert error.reason == (
        "This file was made from template version 1 of Widgets, which stopped being "
        f"accepted on {stopped.date().isoformat()}. Download the current template "
        "(version 2) from the import page and copy the data into it."
    )


def test_the_period_is_the_admins_setting(widgets):
    publish_v2(widgets, days_ago=62)
    ExchangePolicy.objects.create(dual_track_days=90)
    found, _notices = versions.check_file("widget", table(["客户名称", "城市"]))
    assert found.version == 1


def test_another_entitys_template_is_refused(widgets):
    with pytest.raises(FileRefused) as info:
        versions.check_file("widget", table(["公司名称"], {"entity": "account", "version": 1}))
    assert info.value.code == "template_entity"


def test_old_names_map_an_old_header_to_the_renamed_field(widgets):
    publish_v2(widgets, days_ago=10)
    first = TemplateVersion.objects.get(entity="widget", version=1)
    names = versions.old_names(first)
    assert names["客户名称"] == "name"
    assert names["customer name"] == "name"
    assert names["城市"] == "city"
    assert "传真" not in names  # the field is gone
    assert versions.old_names(None) == {}


def test_old_names_are_empty_once_the_version_expired(widgets):
    publish_v2(widgets, days_ago=100)
    first = TemplateVersion.objects.get(entity="widget", version=1)
    assert versions.old_names(first) == {}


def test_a_downloaded_old_template_is_recognised_by_its_hidden_sheet(widgets):
    from salesops.exchange import files
    from salesops.exchange.template_book import template_workbook
    from salesops.org.tests.factories import UserFactory

    user = UserFactory(role="admin", language="zh-hans")
    old_file = template_workbook(widgets, user=user, with_data=False)
    publish_v2(widgets, days_ago=5)
    table = files.read(old_file, "v1.xlsx", max_bytes=10**7, max_rows=10)
    assert table.headers == ["客户名称", "城市", "传真"]
    found, notices = versions.check_file("widget", table)
    assert found.version == 1
    assert "列“客户名称”已改名为“公司名称”。" in notices
    assert versions.old_names(found)["客户名称"] == "name"
