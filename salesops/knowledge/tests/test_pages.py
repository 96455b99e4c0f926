"""The knowledge pages: list and search, an item's page (viewed recorded), copy/adopt,
the editors' form (refusals shown), the check-in fragment, visibility."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from salesops.knowledge.models import KnowledgeItem, KnowledgeUsage
from salesops.leads.tests.factories import LeadFactory

from .factories import make_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_list_searches_and_shows_match_percentages(org, as_user):
    make_item(org.admin, title="价格异议话术", body="客户说价格比竞品高")
    make_item(org.admin, title="库存周转", body="库存")
    client = as_user(org.rep_a)
    page = client.get(reverse("knowledge:list"), {"q": "价格比竞品高"}).content.decode()
    assert "价格异议话术" in page and "库存周转" not in page and "% match" in page
    page = client.get(reverse("knowledge:list")).content.decode()
    assert "价格异议话术" in page and "库存周转" in page
    assert 'data-testid="new-item"' not in page  # reps read only
    assert KnowledgeUsage.objects.filter(action="searched", user=org.rep_a).count() == 1


def test_the_list_pages_and_ignores_bad_filter_values(org, as_user, settings):
    settings.SALESOPS = {**settings.SALESOPS, "PAGE_SIZE": 2}
    for n in range(5):
        make_item(org.admin, title=f"降本方案{n}", body="降本")
    client = as_user(org.rep_a)
    response = client.get(reverse("knowledge:list"), {"q": "降本", "page": 3, "kind": "poem"})
    assert response.status_code == 200
    assert response.content.decode().count('data-testid="item-row"') == 1


def test_an_items_page_is_recorded_as_viewed_and_fills_a_lead(org, as_user):
    item = make_item(org.admin, kind="script", body="{{联系人}}您好")
    lead = LeadFactory(owner=org.rep_a, contact_name="钱总")
    client = as_user(org.rep_a)
    page = client.get(reverse("knowledge:detail", args=[item.pk]), {"lead": lead.pk})
    assert "钱总您好" in page.content.decode()
    assert 'data-copy-text="钱总您好"' in page.content.decode()
    usage = KnowledgeUsage.objects.get()
    assert (usage.action, usage.lead, usage.item) == ("viewed", lead, item)


def test_a_rep_cannot_fill_a_script_from_another_reps_lead(org, as_user):
    item = make_item(org.admin, kind="script", body="{{联系人}}您好")
    other = LeadFactory(owner=org.rep_b)
    client = as_user(org.rep_a)
    assert (
        client.get(reverse("knowledge:detail", args=[item.pk]), {"lead": other.pk}).status_code
        == 404
    )
    assert (
        client.get(reverse("knowledge:match"), {"text": "您好", "lead": other.pk}).status_code
        == 404
    )
    assert client.get(reverse("knowledge:detail", args=[item.pk]), {"lead": "x"}).status_code == 404
    assert not KnowledgeUsage.objects.exists()


def test_copy_and_adopt_are_recorded(org, as_user):
    item = make_item(org.admin)
    lead = LeadFactory(owner=org.rep_a)
    client = as_user(org.rep_a)
    url = reverse("knowledge:usage", args=[item.pk]) + f"?lead={lead.pk}"
    assert client.post(url, {"action": "copied"}).status_code == 204
    response = client.post(url, {"action": "adopted"}, headers={"HX-Request": "true"})
    assert "Marked as adopted" in response.content.decode()
    assert client.post(url, {"action": "searched"}).status_code == 400
    assert sorted(KnowledgeUsage.objects.values_list("action", flat=True)) == ["adopted", "copied"]
    assert set(KnowledgeUsage.objects.values_list("lead", flat=True)) == {lead.pk}


def test_reps_cannot_open_the_editor(org, as_user):
    item = make_item(org.admin)
    client = as_user(org.rep_a)
    assert client.get(reverse("knowledge:create")).status_code == 403
    assert client.post(reverse("knowledge:edit", args=[item.pk]), {"title": "x"}).status_code == 403
    assert (
        client.post(reverse("knowledge:set_active", args=[item.pk]), {"active": "0"}).status_code
        == 403
    )
    assert client.get(reverse("knowledge:policy")).status_code == 403


def form_data(**data):
    base = {
        "kind": "script",
        "title": "新话术",
        "body": "{{客户名称}}您好",
        "channel": "phone",
        "tags": "开场, 电话",
    }
    return {**base, **data}


def test_a_manager_creates_and_edits_through_the_form(org, as_user):
    client = as_user(org.manager_east)
    response = client.post(reverse("knowledge:create"), form_data(customer_types=["retail"]))
    item = KnowledgeItem.objects.get()
    assert response.status_code == 302 and response["Location"] == item.get_absolute_url()
    assert item.customer_types == ["retail"] and item.tags.count() == 2
    response = client.post(reverse("knowledge:edit", args=[item.pk]), form_data(title="改过的话术"))
    item.refresh_from_db()
    assert (item.title, item.version) == ("改过的话术", 2)


def test_the_form_lists_unknown_placeholders_and_refuses_bad_files(org, as_user):
    client = as_user(org.admin)
    response = client.post(reverse("knowledge:create"), form_data(body="{{客户名称}}{{老板电话}}"))
    assert response.status_code == 200
    assert "Unknown placeholders: {{老板电话}}" in response.content.decode()
    exe = SimpleUploadedFile("course.exe", b"MZ")
    response = client.post(
        reverse("knowledge:create"), {**form_data(kind="course"), "attachment": exe}
    )
    assert "are not accepted" in response.content.decode()
    assert not KnowledgeItem.objects.exists()
    page = client.get(reverse("knowledge:create")).content.decode()
    assert "at most 50 MB" in page  # the limit in force is shown


def test_a_course_file_is_downloaded_through_the_item(org, as_user):
    pdf = SimpleUploadedFile("lesson.pdf", b"%PDF-1.4 x")
    item = make_item(org.admin, kind="course", attachment=pdf)
    response = as_user(org.rep_a).get(reverse("knowledge:file", args=[item.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 x"
    assert "lesson.pdf" in response["Content-Disposition"]


def test_the_match_fragment_shows_matched_items_with_percentages(org, as_user):
    item = make_item(
        org.admin,
        kind="script",
        title="设备停机维修成本高的应对",
        body="{{联系人}}，停机损失怎么算？",
    )
    lead = LeadFactory(owner=org.rep_a, contact_name="孙工", need="设备停机太多")
    client = as_user(org.rep_a)
    page = client.get(
        reverse("knowledge:match"), {"note": "设备停机维修成本太高", "lead": lead.pk}
    ).content.decode()
    assert "% match with “设备停机维修成本高的应对”" in page
    assert f'data-testid="copy-{item.pk}"' in page and "孙工，停机损失怎么算？" in page
    # A visit with no note yet: the lead's recorded need is matched.
    page = client.get(
        reverse("knowledge:match"), {"kind": "visit", "lead": lead.pk}
    ).content.decode()
    assert "设备停机维修成本高的应对" in page
    # A call with no note: nothing to match, nothing recorded.
    assert (
        client.get(reverse("knowledge:match"), {"kind": "call", "lead": lead.pk}).content.strip()
        == b""
    )
    assert KnowledgeUsage.objects.filter(action="searched").count() == 2


def test_the_check_in_page_asks_for_matches(org, as_user):
    lead = LeadFactory(owner=org.rep_a)
    page = (
        as_user(org.rep_a).get(reverse("activities:check_in"), {"lead": lead.pk}).content.decode()
    )
    assert f"{reverse('knowledge:match')}?lead={lead.pk}" in page
    assert "knowledge/knowledge.js" in page


def test_the_settings_page_saves_the_numbers(org, as_user):
    client = as_user(org.admin)
    response = client.post(
        reverse("knowledge:policy"), {"attachment_max_mb": "20", "match_min_percent": "15"}
    )
    assert response.status_code == 302
    page = client.post(
        reverse("knowledge:policy"), {"attachment_max_mb": "0", "match_min_percent": "101"}
    )
    assert page.status_code == 200 and b"is-invalid" in page.content
    from salesops.knowledge.models import KnowledgePolicy

    policy = KnowledgePolicy.current()
    assert (policy.attachment_max_mb, policy.match_min_percent) == (20, 15)
