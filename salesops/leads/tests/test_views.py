"""The lead pages (SPEC L1–L8): list and visibility, quick entry, status, reassignment,
claiming, conversion, duplicate review, channel and routing administration, the dwell
report and the exports."""

import datetime as dt
import io

import pytest
from django.urls import reverse

from salesops.core import clock
from salesops.customers.models import Account, Contact
from salesops.leads import services
from salesops.leads.models import Assignment, Channel, Inquiry, Lead, RoutingRule

from .conftest import at
from .factories import lead_data, make_channel, make_rule

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COMPANIES = iter(
    [
        "杭州云帆智能科技有限公司",
        "北京蓝海物流有限公司",
        "深圳星火电子股份有限公司",
        "成都锦江食品有限公司",
        "武汉长江重工集团",
        "西安古城文旅发展公司",
        "青岛海湾化工有限公司",
        "苏州园林设计院",
        "南京紫金软件有限公司",
        "厦门鹭岛贸易公司",
        "长沙岳麓教育科技",
        "昆明春城花卉有限公司",
        "大连渔港水产公司",
        "天津渤海船舶工程",
        "郑州中原面业有限公司",
        "合肥科大讯通有限公司",
    ]
    * 20
)


def new_lead(owner=None, channel=None, **data) -> Lead:
    """A lead through the intake service, kept with ``owner`` (or to the pool when no
    routing rule places it)."""
    channel = channel or Channel.objects.filter(kind="website").first() or make_channel()
    data.setdefault("company", next(COMPANIES) + str(Lead.objects.count()))
    result = services.lead_intake(channel=channel, data=lead_data(**data), owner=owner)
    assert result.created, result.outcome
    return result.lead


def pool_lead(team) -> Lead:
    channel = make_channel(team=team)
    lead = new_lead(channel=channel)
    assert lead.owner is None and lead.team == team
    return lead


def rows(response) -> set[int]:
    return {lead.pk for lead in response.context["rows"]}


# --- list and visibility ------------------------------------------------------------------
def test_rep_sees_only_own_leads_and_gets_404_for_others(client, org):
    mine = new_lead(owner=org.rep_a)
    other = new_lead(owner=org.rep_b)
    client.force_login(org.rep_a)
    response = client.get(reverse("leads:lead_list"))
    assert response.status_code == 200
    assert rows(response) == {mine.pk}
    badge_row = response.content.decode()
    assert 'data-testid="sla-badge"' not in badge_row or 'data-state="' in badge_row
    assert client.get(reverse("leads:lead_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("leads:lead_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("leads:lead_edit", args=[other.pk])).status_code == 404
    assert client.get(reverse("leads:lead_history", args=[other.pk])).status_code == 404


def test_rep_cannot_change_another_reps_lead_by_post(client, org):
    other = new_lead(owner=org.rep_b)
    pool = pool_lead(org.south)  # another team's pool
    client.force_login(org.rep_a)
    status = client.post(
        reverse("leads:lead_status", args=[other.pk]), {"status": "contacted", "invalid_reason": ""}
    )
    reassign = client.post(
        reverse("leads:lead_reassign", args=[other.pk]), {"owner": org.rep_a.pk, "reason": "x"}
    )
    claim = client.post(reverse("leads:lead_claim", args=[pool.pk]))
    convert = client.post(reverse("leads:lead_convert", args=[other.pk]))
    edit = client.post(reverse("leads:lead_edit", args=[other.pk]), {"company": "hacked"})
    assert {r.status_code for r in (status, reassign, claim, convert, edit)} <= {403, 404}
    other.refresh_from_db()
    pool.refresh_from_db()
    assert other.status == "new" and other.owner == org.rep_b and other.company != "hacked"
    assert pool.owner is None
    assert Assignment.objects.filter(lead=other).count() == 1


def test_rep_cannot_reassign_even_their_own_lead(client, org):
    mine = new_lead(owner=org.rep_a)
    client.force_login(org.rep_a)
    response = client.post(
        reverse("leads:lead_reassign", args=[mine.pk]), {"owner": org.rep_a.pk, "reason": "x"}
    )
    assert response.status_code == 403


def test_manager_sees_team_and_pool_of_teams_they_manage(client, org):
    a = new_lead(owner=org.rep_a)
    c = new_lead(owner=org.rep_c)
    d = new_lead(owner=org.rep_d)
    east_pool = pool_lead(org.east)
    south_pool = pool_lead(org.south)
    client.force_login(org.manager_east)
    everything = rows(client.get(reverse("leads:lead_list")))
    assert everything == {a.pk, c.pk, east_pool.pk}
    assert d.pk not in everything and south_pool.pk not in everything
    pool = rows(client.get(reverse("leads:lead_list"), {"owner": "none"}))
    assert pool == {east_pool.pk}
    mine = rows(client.get(reverse("leads:lead_list"), {"owner": "me"}))
    assert mine == set()
    assert client.get(reverse("leads:lead_detail", args=[south_pool.pk])).status_code == 404


def test_list_filters_search_sort_and_badges(client, org, lead_rules):
    first = new_lead(owner=org.rep_a, company="杭州云帆智能科技有限公司", phone="138 0013 8000")
    second = new_lead(owner=org.rep_a, company="北京蓝海物流有限公司")
    services.lead_set_status(actor=org.rep_a, lead=second, status="invalid", invalid_reason="spam")
    client.force_login(org.rep_a)
    url = reverse("leads:lead_list")
    assert rows(client.get(url, {"q": "云帆"})) == {first.pk}
    assert rows(client.get(url, {"q": "0013 8000"})) == {first.pk}
    assert rows(client.get(url, {"status": "open"})) == {first.pk}
    assert rows(client.get(url, {"status": "invalid"})) == {second.pk}
    assert first.pk in rows(client.get(url, {"sla": "running"}))
    assert rows(client.get(url, {"sla": "breached"})) == set()
    ordered = [lead.pk for lead in client.get(url, {"sort": "company"}).context["rows"]]
    assert ordered == sorted([first.pk, second.pk], key=lambda pk: Lead.objects.get(pk=pk).company)
    page = client.get(url).content.decode()
    assert 'data-testid="sla-badge" data-state="running"' in page
    assert "min left" in page or "h left" in page
    assert "+86 138 0013 8000" in page or "138 0013 8000" in page


def test_list_export_csv_and_xlsx_hold_the_filtered_rows(client, org):
    new_lead(owner=org.rep_a, company="杭州云帆智能科技有限公司")
    new_lead(owner=org.rep_a, company="北京蓝海物流有限公司")
    new_lead(owner=org.rep_b, company="深圳星火电子股份有限公司")
    client.force_login(org.rep_a)
    response = client.get(reverse("leads:lead_export", args=["csv"]), {"q": "云帆"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "杭州云帆智能科技有限公司" in text
    assert "北京蓝海物流有限公司" not in text and "深圳星火" not in text
    response = client.get(reverse("leads:lead_export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert client.get(reverse("leads:lead_export", args=["pdf"])).status_code == 404


# --- quick entry --------------------------------------------------------------------------
def test_quick_entry_saves_a_lead_kept_by_the_rep(client, org):
    client.force_login(org.rep_a)
    page = client.get(reverse("leads:quick_entry"))
    assert page.status_code == 200
    for testid in (
        "quick-contact_name",
        "quick-phone",
        "quick-company",
        "quick-need",
        "quick-save",
    ):
        assert f'data-testid="{testid}"' in page.content.decode()
    response = client.post(
        reverse("leads:quick_entry"),
        {
            "contact_name": "王芳",
            "phone": "138 0013 8000",
            "company": "杭州云帆智能科技有限公司",
            "need": "产线数字化",
        },
    )
    lead = Lead.objects.get()
    assert response.status_code == 302 and response.url == lead.get_absolute_url()
    assert lead.owner == org.rep_a
    assert lead.phone == "+8613800138000"
    assert lead.channel.kind == "manual"


def test_quick_entry_names_every_missing_field_and_saves_nothing(client, org):
    client.force_login(org.rep_a)
    response = client.post(
        reverse("leads:quick_entry"),
        {"contact_name": "", "phone": "", "company": "", "need": ""},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"contact_name", "phone", "company", "need"}
    page = response.content.decode()
    for name in ("contact_name", "phone", "company", "need"):
        assert f'data-testid="error-{name}"' in page
    assert not Lead.objects.exists()
    response = client.post(
        reverse("leads:quick_entry"),
        {"contact_name": "王芳", "phone": "12", "company": "云帆", "need": "x"},
    )
    assert "phone" in response.context["form"].errors
    assert not Lead.objects.exists()


def test_quick_entry_repeat_phone_in_another_format_is_attached_not_doubled(client, org):
    client.force_login(org.rep_a)
    url = reverse("leads:quick_entry")
    data = {
        "contact_name": "王芳",
        "phone": "138 0013 8000",
        "company": "杭州云帆智能科技有限公司",
        "need": "产线数字化",
    }
    client.post(url, data)
    lead = Lead.objects.get()
    again = client.post(
        url,
        {**data, "phone": "+86-13800138000", "company": "云帆", "need": "又来问了"},
        follow=True,
    )
    assert Lead.objects.count() == 1
    assert again.redirect_chain[-1][0] == lead.get_absolute_url()
    assert "added as a new inquiry" in again.content.decode()
    lead.refresh_from_db()
    assert lead.touches == 2
    assert Inquiry.objects.filter(lead=lead).count() == 2


def test_quick_entry_repeat_of_an_invisible_lead_names_the_owner(client, org):
    new_lead(owner=org.rep_b, phone="13800138000", company="杭州云帆智能科技有限公司")
    client.force_login(org.rep_a)
    response = client.post(
        reverse("leads:quick_entry"),
        {"contact_name": "王芳", "phone": "138 0013 8000", "company": "别的公司", "need": "x"},
        follow=True,
    )
    assert Lead.objects.count() == 1
    assert response.redirect_chain[-1][0] == reverse("leads:quick_entry")
    assert "Rep B" in response.content.decode()


def test_finance_cannot_use_quick_entry(client, org):
    client.force_login(org.finance)
    assert client.get(reverse("leads:quick_entry")).status_code == 403
    response = client.post(
        reverse("leads:quick_entry"),
        {
            "contact_name": "王芳",
            "phone": "13800138000",
            "company": "杭州云帆智能科技有限公司",
            "need": "x",
        },
    )
    assert response.status_code == 403
    assert not Lead.objects.exists()


# --- detail actions -----------------------------------------------------------------------
def test_detail_shows_header_timeline_checkin_and_history(client, org):
    lead = new_lead(owner=org.rep_a, campaign="2026 expo")
    client.force_login(org.rep_a)
    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="/activities/check-in/?lead={lead.pk}"' in page
    assert 'data-testid="checkin-button"' in page
    assert 'data-kind="intake"' in page and 'data-kind="assignment"' in page
    assert "2026 expo" in page
    history = client.get(reverse("leads:lead_history", args=[lead.pk]))
    assert history.status_code == 200 and 'data-testid="history"' in history.content.decode()
    partial = client.get(reverse("leads:lead_history", args=[lead.pk]), HTTP_HX_REQUEST="true")
    assert b"<html" not in partial.content


def test_status_change_and_invalid_needs_a_reason(client, org):
    lead = new_lead(owner=org.rep_a)
    client.force_login(org.rep_a)
    url = reverse("leads:lead_status", args=[lead.pk])
    response = client.post(url, {"status": "contacted", "invalid_reason": ""})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == "contacted"
    response = client.post(url, {"status": "invalid", "invalid_reason": ""})
    assert response.status_code == 422
    assert "Say why the lead is invalid." in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == "contacted"
    client.post(url, {"status": "invalid", "invalid_reason": "unreachable"})
    lead.refresh_from_db()
    assert (lead.status, lead.invalid_reason) == ("invalid", "unreachable")
    # timeline shows the changes
    page = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert 'data-kind="status"' in page


def test_reassign_requires_a_reason_and_records_an_assignment(client, org):
    lead = new_lead(owner=org.rep_a)
    client.force_login(org.manager_east)
    url = reverse("leads:lead_reassign", args=[lead.pk])
    response = client.post(url, {"owner": org.rep_b.pk, "reason": ""})
    assert response.status_code == 422
    assert "Say why the lead is reassigned." in response.content.decode()
    lead.refresh_from_db()
    assert lead.owner == org.rep_a
    assert Assignment.objects.filter(lead=lead).count() == 1
    # someone outside the manager's teams is not a choice
    response = client.post(url, {"owner": org.rep_d.pk, "reason": "holiday"})
    assert response.status_code == 422
    lead.refresh_from_db()
    assert lead.owner == org.rep_a
    response = client.post(url, {"owner": org.rep_b.pk, "reason": "rep A on leave"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.owner == org.rep_b
    last = Assignment.objects.filter(lead=lead).last()
    assert (last.owner, last.previous_owner, last.reason, last.actor) == (
        org.rep_b,
        org.rep_a,
        "rep A on leave",
        org.manager_east,
    )


def test_claim_from_the_pool_respects_the_daily_cap(client, org):
    first = pool_lead(org.east)
    second = pool_lead(org.east)
    org.manager_east.daily_lead_cap = 1
    org.manager_east.save()
    client.force_login(org.manager_east)
    response = client.post(reverse("leads:lead_claim", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.owner == org.manager_east
    assert first.sla_state in ("", "running")
    response = client.post(reverse("leads:lead_claim", args=[second.pk]), follow=True)
    second.refresh_from_db()
    assert second.owner is None
    assert "daily cap of 1" in response.content.decode()
    # a lead someone already owns cannot be claimed
    client.post(reverse("leads:lead_claim", args=[first.pk]))
    assert Assignment.objects.filter(lead=first, strategy="claim").count() == 1


def test_convert_creates_account_and_contact_and_goes_to_the_account(client, org):
    lead = new_lead(
        owner=org.rep_a,
        company="杭州云帆智能科技有限公司",
        phone="13800138000",
        contact_name="王芳",
    )
    client.force_login(org.rep_a)
    response = client.post(reverse("leads:lead_convert", args=[lead.pk]))
    lead.refresh_from_db()
    assert lead.status == "converted"
    account = Account.objects.get(pk=lead.account_id)
    assert account.name == "杭州云帆智能科技有限公司" and account.owner == org.rep_a
    assert Contact.objects.get(pk=lead.contact_id).name == "王芳"
    assert response.status_code == 302 and response.url == account.get_absolute_url()
    again = client.post(reverse("leads:lead_convert", args=[lead.pk]), follow=True)
    assert "already converted" in again.content.decode()
    assert Account.objects.count() == 1


def test_duplicate_review_merge_and_dismiss(client, org):
    earlier = new_lead(owner=org.rep_a)
    later = new_lead(owner=org.rep_a)
    other = new_lead(owner=org.rep_a)
    for lead in (later, other):
        Lead.objects.filter(pk=lead.pk).update(review_state="review", possible_duplicate_of=earlier)
    client.force_login(org.rep_a)
    page = client.get(reverse("leads:lead_detail", args=[later.pk])).content.decode()
    assert 'data-testid="review-merge"' in page
    assert rows(client.get(reverse("leads:lead_list"), {"review": "1"})) == {later.pk, other.pk}
    client.post(reverse("leads:lead_review", args=[later.pk]), {"action": "merge"})
    later.refresh_from_db()
    earlier.refresh_from_db()
    assert (later.status, later.invalid_reason) == ("invalid", "duplicate")
    assert earlier.touches == 2
    client.post(reverse("leads:lead_review", args=[other.pk]), {"action": "dismiss"})
    other.refresh_from_db()
    assert other.review_state == "dismissed" and other.status == "new"


def test_edit_lead_through_the_service(client, org):
    lead = new_lead(owner=org.rep_a)
    client.force_login(org.rep_a)
    url = reverse("leads:lead_edit", args=[lead.pk])
    assert client.get(url).status_code == 200
    data = {
        "contact_name": lead.contact_name,
        "phone": "139 0000 1111",
        "company": lead.company,
        "need": "换个需求",
        "city": "杭州市",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.phone, lead.need, lead.city) == ("+8613900001111", "换个需求", "杭州市")
    response = client.post(url, {**data, "company": ""})
    assert response.status_code == 200 and "company" in response.context["form"].errors


# --- channels -----------------------------------------------------------------------------
def test_channel_admin_is_for_admins_and_directors(client, org):
    channel = make_channel()
    token = channel.token
    for user in (org.rep_a, org.manager_east, org.finance):
        client.force_login(user)
        assert client.get(reverse("leads:channel_list")).status_code == 403
        assert client.get(reverse("leads:channel_detail", args=[channel.pk])).status_code == 403
        assert client.post(reverse("leads:channel_token", args=[channel.pk])).status_code == 403
    # the refused "new token" left the channel's token as it was
    channel.refresh_from_db()
    assert channel.token == token
    for user in (org.admin, org.director):
        client.force_login(user)
        assert client.get(reverse("leads:channel_list")).status_code == 200


def test_channel_detail_shows_token_url_snippet_and_new_token_revokes_the_old(client, org):
    channel = make_channel(name="官网")
    client.force_login(org.admin)
    page = client.get(reverse("leads:channel_detail", args=[channel.pk])).content.decode()
    old = channel.token
    assert old in page
    assert f"/leads/intake/{old}/" in page
    assert "website_url" in page and "display:none" in page
    assert "Idempotency-Key" in page
    response = client.post(reverse("leads:channel_token", args=[channel.pk]))
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.token != old
    intake_url = reverse("leads:intake", args=[old])
    gone = client.post(intake_url, lead_data(), content_type="application/json")
    assert gone.status_code == 404
    works = client.post(
        reverse("leads:intake", args=[channel.token]),
        lead_data(company="北京蓝海物流有限公司"),
        content_type="application/json",
    )
    assert works.status_code in (200, 201)


def test_channel_create_and_edit(client, org):
    client.force_login(org.admin)
    response = client.post(
        reverse("leads:channel_create"),
        {
            "name": "2026 展会",
            "kind": "event",
            "campaign": "expo",
            "rate_limit": 30,
            "is_active": "on",
        },
    )
    channel = Channel.objects.get(name="2026 展会")
    assert response.status_code == 302 and response.url == channel.get_absolute_url()
    response = client.post(reverse("leads:channel_create"), {"name": "", "kind": "event"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    response = client.post(reverse("leads:channel_create"), {"name": "x", "kind": "nope"})
    assert "kind" in response.context["form"].errors
    assert Channel.objects.filter(name="x").count() == 0
    client.post(
        reverse("leads:channel_edit", args=[channel.pk]),
        {"name": "2026 展会", "kind": "event", "campaign": "expo2", "rate_limit": 30},
    )
    channel.refresh_from_db()
    assert channel.campaign == "expo2" and channel.is_active is False


# --- routing ------------------------------------------------------------------------------
def test_routing_admin_permissions(client, org):
    client.force_login(org.rep_a)
    assert client.get(reverse("leads:routing_list")).status_code == 403
    assert client.get(reverse("leads:routing_create")).status_code == 403
    assert client.get(reverse("leads:routing_test")).status_code == 403
    rules_before = RoutingRule.objects.count()
    response = client.post(reverse("leads:routing_create"), {"name": "mine", "condition": ""})
    assert response.status_code == 403
    assert RoutingRule.objects.count() == rules_before


def test_routing_rule_create_with_a_bad_condition_shows_the_error(client, org):
    client.force_login(org.admin)
    url = reverse("leads:routing_create")
    response = client.post(
        url,
        {
            "name": "浙江",
            "priority": 10,
            "is_active": "on",
            "condition": "province == ",
            "strategy": "round_robin",
            "member_user": [org.rep_a.pk, ""],
            "member_weight": ["1", "1"],
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["condition"]
    assert any("Position" in e for e in errors)
    assert not RoutingRule.objects.exists()
    response = client.post(
        url,
        {
            "name": "浙江",
            "priority": 10,
            "is_active": "on",
            "condition": "province == '浙江省'",
            "strategy": "weighted",
            "member_user": [org.rep_a.pk, org.rep_b.pk, ""],
            "member_weight": ["3", "1", "1"],
        },
    )
    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert {(m.user_id, m.weight) for m in rule.members.all()} == {
        (org.rep_a.pk, 3),
        (org.rep_b.pk, 1),
    }
    page = client.get(reverse("leads:routing_list")).content.decode()
    assert "浙江" in page and "Rep A" in page
    # edit: no team and no reps is refused
    response = client.post(
        reverse("leads:routing_edit", args=[rule.pk]),
        {"name": "浙江", "priority": 10, "condition": "", "strategy": "round_robin"},
    )
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    client.post(reverse("leads:routing_delete", args=[rule.pk]))
    assert not RoutingRule.objects.exists()


def test_routing_test_page_shows_the_decision(client, org):
    make_rule(members=[org.rep_a.pk], name="浙江规则", condition="province == '浙江省'")
    client.force_login(org.admin)
    url = reverse("leads:routing_test")
    response = client.get(url, {"province": "浙江省", "company": "云帆"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="routing-test-rule"' in page and "浙江规则" in page
    assert "Rep A" in response.context["result"]["candidates"]
    response = client.get(url, {"province": "广东省"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert 'data-testid="routing-test-pool"' in page
    assert "<html" not in page


# --- dwell report -------------------------------------------------------------------------
def test_dwell_report_lists_stale_leads_and_exports_excel(client, org):
    with clock.frozen(at("2026-10-05", "10:00")):
        old = new_lead(owner=org.rep_a, company="杭州云帆智能科技有限公司")
        other = new_lead(owner=org.rep_d, company="北京蓝海物流有限公司")
    client.force_login(org.manager_east)
    response = client.get(reverse("leads:dwell_report"), {"month": "2026-10"})
    assert response.status_code == 200
    overall = [r.lead.pk for r in response.context["overall"]]
    assert old.pk in overall and other.pk not in overall
    assert response.context["owners"] and response.context["teams"]
    client.force_login(org.rep_d)
    mine = client.get(reverse("leads:dwell_report"), {"month": "2026-10"})
    assert [r.lead.pk for r in mine.context["overall"]] == [other.pk]
    bad = client.get(reverse("leads:dwell_report"), {"month": "October"})
    assert bad.status_code == 200 and bad.context["month_error"]
    client.force_login(org.director)
    export = client.get(reverse("leads:dwell_report"), {"month": "2026-10", "format": "xlsx"})
    assert export.status_code == 200
    assert export["Content-Type"] == XLSX
    content = b"".join(export.streaming_content)
    import openpyxl  # noqa: PLC0415

    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    companies = {row[4] for row in values[1:]}
    assert {"杭州云帆智能科技有限公司", "北京蓝海物流有限公司"} <= companies
    assert {row[0] for row in values[1:]} == {"Overall", "Team", "Owner"}


def test_dwell_report_defaults_to_last_month(client, org):
    client.force_login(org.rep_a)
    response = client.get(reverse("leads:dwell_report"))
    today = clock.today()
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert response.context["month"] == last
