"""Company names (SPEC L4): legal-form suffixes and bracketed regions are ignored, so
"烟台鑫昌连锁超市" is the same company as "烟台鑫昌连锁超市有限公司" — on intake (a certain
duplicate), when an account is created without a credit code (refused, naming the
existing account), and when a lead is converted (into the existing account)."""

from __future__ import annotations

import pytest
from django.test import Client

from salesops.core.names import company_key
from salesops.customers import services as customer_services
from salesops.customers.models import Account
from salesops.customers.tests.factories import credit_code, make_account
from salesops.leads.models import Lead, MatchKind
from salesops.leads.tests.api_helpers import API, enter, post

from .factories import intake, make_channel, make_rule

pytestmark = pytest.mark.django_db

SHOP = "烟台鑫昌连锁超市"


@pytest.mark.parametrize(
    "variant",
    [
        "烟台鑫昌连锁超市有限公司",
        "烟台鑫昌连锁超市有限责任公司",
        "烟台鑫昌连锁超市股份有限公司",
        "烟台鑫昌连锁超市股份公司",
        "烟台鑫昌连锁超市集团",
        "烟台鑫昌连锁超市集团有限公司",
        "烟台鑫昌连锁超市总公司",
        "烟台鑫昌连锁超市分公司",
        "烟台鑫昌连锁超市（中国）有限公司",
        "烟台鑫昌连锁超市(中国)有限公司",
        "【旗舰】烟台鑫昌连锁超市公司",
        "烟台 鑫昌·连锁超市",
    ],
)
def test_legal_forms_and_bracketed_regions_are_ignored(variant):
    assert company_key(variant) == company_key(SHOP) == SHOP


@pytest.mark.parametrize("variant", ["Acme Co., Ltd.", "ACME Inc.", "Acme Company", "Acme PLC"])
def test_english_legal_forms_are_ignored(variant):
    assert company_key(variant) == "acme"


def test_different_companies_keep_different_keys():
    assert company_key("烟台鑫昌连锁超市") != company_key("烟台鑫盛连锁超市")


def test_intake_takes_the_short_name_for_a_certain_duplicate(org):
    make_rule(members=[{"user_id": org.rep_a.pk}])
    channel = make_channel()
    first = intake(channel, company="烟台鑫昌连锁超市有限公司")
    second = intake(channel, company=SHOP)
    assert second.outcome == "attached"
    assert second.lead == first.lead
    assert second.match.kind == MatchKind.COMPANY and second.match.certain
    assert Lead.objects.count() == 1


def test_an_account_without_credit_code_is_deduplicated_by_name(org):
    existing = make_account(org.rep_a, name="烟台鑫昌连锁超市有限公司")
    with pytest.raises(customer_services.DuplicateError) as info:
        customer_services.account_create(actor=org.rep_b, owner=org.rep_b, name=SHOP)
    assert info.value.matches[0].record == existing
    assert info.value.matches[0].field == "name"
    assert Account.objects.count() == 1


def test_two_credit_codes_are_two_companies_whatever_the_name(org):
    make_account(org.rep_a, name="烟台鑫昌连锁超市有限公司", credit_code=credit_code(31))
    other = make_account(org.rep_b, name=SHOP, credit_code=credit_code(32))
    assert other.pk and Account.objects.count() == 2


def test_a_new_name_with_a_credit_code_matches_an_account_without_one(org):
    existing = make_account(org.rep_a, name="烟台鑫昌连锁超市有限公司")
    with pytest.raises(customer_services.DuplicateError) as info:
        customer_services.account_create(actor=org.rep_a, name=SHOP, credit_code=credit_code(33))
    assert info.value.matches[0].record == existing


def test_renaming_into_another_accounts_name_is_refused(org):
    make_account(org.rep_a, name="烟台鑫昌连锁超市有限公司")
    mine = make_account(org.rep_a, name="烟台另一家超市有限公司")
    with pytest.raises(customer_services.DuplicateError):
        customer_services.account_update(actor=org.rep_a, account=mine, name=SHOP)
    mine.refresh_from_db()
    assert mine.name == "烟台另一家超市有限公司"


def test_the_account_page_names_the_existing_account(org):
    make_account(org.rep_a, name="烟台鑫昌连锁超市有限公司")
    client = Client()
    client.force_login(org.rep_a)
    response = client.post("/customers/accounts/new/", {"name": SHOP, "level": "C"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert "烟台鑫昌连锁超市有限公司" in " ".join(response.context["form"].errors["name"])
    assert Account.objects.count() == 1


def test_the_api_answers_409_for_a_name_duplicate(org, as_):
    make_account(org.rep_a, name="烟台鑫昌连锁超市有限公司")
    response = post(as_("rep_a"), "/accounts", {"name": SHOP})
    assert response.status_code == 409, response.content
    assert response.json()["field"] == "name"
    assert Account.objects.count() == 1


def test_converting_a_lead_reuses_the_account_of_the_same_name(org, as_):
    account = make_account(org.rep_a, name="烟台鑫昌连锁超市有限公司")
    rep = as_("rep_a")
    lead_id = enter(rep, company=SHOP)["id"]
    response = post(rep, f"/leads/{lead_id}/convert")
    assert response.status_code == 200, response.content
    assert response.json()["account_id"] == account.pk
    assert Account.objects.count() == 1
    assert rep.get(API + f"/leads/{lead_id}").json()["status"] == "converted"


def test_converting_into_someone_elses_account_of_the_same_name_waits_for_review(org, as_):
    theirs = make_account(org.rep_b, name="烟台鑫昌连锁超市有限公司")
    before = theirs.history.count()
    rep = as_("rep_a")
    lead_id = enter(rep, company=SHOP)["id"]
    response = post(rep, f"/leads/{lead_id}/convert")
    assert response.status_code in (200, 202), response.content
    lead = Lead.objects.get(pk=lead_id)
    assert lead.status != "converted" and lead.review_state == "review"
    assert Account.objects.count() == 1 and theirs.history.count() == before
