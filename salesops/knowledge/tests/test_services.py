"""Writes: who may edit, placeholders refused, industries checked, files checked,
rendering from records the user may see, usage rows."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from salesops.customers.tests.factories import make_account, make_contact
from salesops.knowledge import services
from salesops.knowledge.models import KnowledgeItem, KnowledgePolicy, KnowledgeUsage
from salesops.leads.tests.factories import LeadFactory
from salesops.pipeline.tests.factories import make_deal

from .factories import make_item

pytestmark = pytest.mark.django_db


def test_a_manager_creates_a_script_with_known_placeholders(org):
    item = make_item(
        org.manager_east,
        kind="script",
        channel="phone",
        title="开场白",
        body="{{联系人}}您好，我是{{rep_name}}，想和{{客户名称}}聊聊。",
        tags=["开场破冰", "Opening"],
        customer_types=["manufacturing"],
    )
    assert item.version == 1 and item.author == org.manager_east
    assert sorted(t.label_zh for t in item.tags.all()) == ["Opening", "开场破冰"]
    assert "开场白" in item.search_tokens
    assert item.history.count() == 1


def test_unknown_placeholders_are_refused_listing_them(org):
    with pytest.raises(ValidationError) as exc:
        make_item(org.admin, kind="script", body="{{客户名称}} {{客户电话}} {{boss}} {{客户电话}}")
    message = exc.value.message_dict["body"][0]
    assert "{{客户电话}}, {{boss}}" in message
    assert "{{客户名称}} / {{company}}" in message  # the vocabulary is listed
    assert not KnowledgeItem.objects.exists()


@pytest.mark.parametrize("role", ["rep_a", "finance", "cs"])
def test_only_admins_directors_and_managers_edit(org, role):
    with pytest.raises(PermissionDenied):
        make_item(getattr(org, role))
    item = make_item(org.director)
    with pytest.raises(PermissionDenied):
        services.item_update(actor=getattr(org, role), item=item, title="改")
    with pytest.raises(PermissionDenied):
        services.item_set_active(actor=getattr(org, role), item=item, active=False)


def test_every_bad_field_is_named_at_once(org):
    with pytest.raises(ValidationError) as exc:
        make_item(
            org.admin,
            kind="poem",
            channel="fax",
            title=" ",
            body="x" * 20001,
            customer_types=["manufacturing", "mining"],
        )
    errors = exc.value.message_dict
    assert set(errors) == {"kind", "channel", "title", "body", "customer_types"}
    assert "mining" in errors["customer_types"][0]


def test_an_update_raises_the_version_and_keeps_tags(org):
    item = make_item(org.admin, tags=["价格异议"], title="旧标题")
    updated = services.item_update(actor=org.manager_sh, item=item, title="新标题")
    assert (updated.version, updated.title) == (2, "新标题")
    assert [t.label_zh for t in updated.tags.all()] == ["价格异议"]
    assert updated.history.count() == 2


def test_deactivated_items_are_hidden_from_reps(org):
    item = make_item(org.admin)
    services.item_set_active(actor=org.admin, item=item, active=False)
    assert not KnowledgeItem.objects.visible_to(org.rep_a).filter(pk=item.pk).exists()
    assert KnowledgeItem.objects.visible_to(org.manager_east).filter(pk=item.pk).exists()


def test_course_files_are_checked_for_type_and_size(org):
    pdf = SimpleUploadedFile("lesson.pdf", b"%PDF-1.4 lesson", content_type="application/pdf")
    item = make_item(org.admin, kind="course", attachment=pdf)
    assert item.attachment_name == "lesson.pdf" and item.attachment.read() == b"%PDF-1.4 lesson"

    exe = SimpleUploadedFile("lesson.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    with pytest.raises(ValidationError) as exc:
        make_item(org.admin, kind="course", attachment=exe)
    assert "“exe”" in exc.value.message_dict["attachment"][0]

    html = SimpleUploadedFile(
        "lesson.pdf", b"<html><script>x</script>", content_type="application/pdf"
    )
    with pytest.raises(ValidationError) as exc:
        make_item(org.admin, kind="course", attachment=html)
    assert "program or a web page" in exc.value.message_dict["attachment"][0]

    policy = KnowledgePolicy.current()
    policy.attachment_max_mb = 1
    policy.save()
    big = SimpleUploadedFile("lesson.mp4", b"\x00" * (1024 * 1024 + 1), content_type="video/mp4")
    with pytest.raises(ValidationError) as exc:
        make_item(org.admin, kind="course", attachment=big)
    assert "the limit is 1 MB" in exc.value.message_dict["attachment"][0]
    assert KnowledgeItem.objects.count() == 1


def test_render_fills_placeholders_from_a_deal(org):
    account = make_account(
        org.rep_a, name="华东精密机械有限公司", city="苏州市", industry="manufacturing"
    )
    make_contact(account, name="王经理")
    deal = make_deal(owner=org.rep_a, account=account, name="产线数字化一期", amount="120000.00")
    item = make_item(
        org.admin,
        kind="script",
        body="{{联系人}}您好，{{company}}的{{商机名称}}金额{{deal_amount}}，{{城市}}{{行业}}。{{销售电话}}",
    )
    text = services.render_item(actor=org.rep_a, item=item, deal=deal)
    # Tests read English: the industry's label and an unfilled slot's name are English.
    assert (
        text
        == "王经理您好，华东精密机械有限公司的产线数字化一期金额¥120,000.00，苏州市Manufacturing。{{rep_phone}}"
    )
    with translation.override("zh-hans"):
        text = services.render_item(actor=org.rep_a, item=item, deal=deal)
    assert text.endswith("苏州市制造业。{{销售电话}}")


def test_render_from_a_lead_and_missing_values_stay_visible(org):
    lead = LeadFactory(owner=org.rep_a, company="杭州云帆科技", contact_name="李总", city="")
    item = make_item(org.admin, kind="script", body="{{联系人}}好，{{客户名称}}在{{城市}}吗？")
    assert (
        services.render_item(actor=org.rep_a, item=item, lead=lead)
        == "李总好，杭州云帆科技在{{city}}吗？"
    )


def test_a_rep_cannot_render_a_script_for_another_reps_lead(org):
    lead = LeadFactory(owner=org.rep_b)
    item = make_item(org.admin, kind="script", body="{{联系人}}您好")
    with pytest.raises(PermissionDenied):
        services.render_item(actor=org.rep_a, item=item, lead=lead)
    # Their manager may.
    assert services.render_item(actor=org.manager_east, item=item, lead=lead).endswith("您好")


def test_usage_is_recorded_with_its_links_and_checked(org):
    item = make_item(org.admin)
    account = make_account(org.rep_a)
    usage = services.usage_record(actor=org.rep_a, action="copied", item=item, account=account)
    assert (usage.user, usage.action, usage.account) == (org.rep_a, "copied", account)
    search = services.usage_record(actor=org.rep_a, action="searched", query=" 价格高 ")
    assert search.query == "价格高" and search.item is None

    with pytest.raises(ValidationError) as exc:
        services.usage_record(actor=org.rep_a, action="liked", item=item)
    assert "action" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.usage_record(actor=org.rep_a, action="searched", query="")
    assert "query" in exc.value.message_dict
    other = make_account(org.rep_d)
    with pytest.raises(ValidationError) as exc:
        services.usage_record(actor=org.rep_a, action="viewed", item=item, account=other)
    assert "account" in exc.value.message_dict
    assert KnowledgeUsage.objects.count() == 2


def test_searches_made_for_an_account_are_listed_for_its_visit_snapshot(org):
    from salesops.knowledge import selectors

    account = make_account(org.rep_a)
    lead = LeadFactory(owner=org.rep_a)
    lead.account = account
    lead.save()
    deal = make_deal(owner=org.rep_a, account=account)
    selectors.record_search(org.rep_a, "设备停")
    first = selectors.record_search(org.rep_a, "设备停机", account=account)
    # Typing on: the same search, extended, not a new row.
    assert selectors.record_search(org.rep_a, "设备停机成本高", account=account) == first
    selectors.record_search(org.rep_a, "价格太高", lead=lead)
    selectors.record_search(org.rep_a, "账期太长", deal=deal)
    selectors.record_search(org.rep_a, "别的客户", account=make_account(org.rep_a))
    queries = [u.query for u in selectors.searches_for_account(org.rep_a, account)]
    assert sorted(queries) == ["价格太高", "设备停机成本高", "账期太长"]
    # Their manager sees them; a rep of another region does not.
    assert len(selectors.searches_for_account(org.manager_east, account)) == 3
    assert len(selectors.searches_for_account(org.rep_d, account)) == 0
