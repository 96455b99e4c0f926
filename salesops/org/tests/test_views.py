import pytest

from salesops.org.models import ApiToken


@pytest.fixture
def rep_client(client, org):
    client.force_login(org.rep_a)
    return client


def test_profile_creates_a_token_shown_once_and_usable_by_the_api(rep_client, org, client):
    # when a rep creates a token on the profile page
    response = rep_client.post("/me/", {"name": "ERP sync"})
    # then the plain key is shown once, and only its hash is stored
    assert response.status_code == 200
    key = response.context["new_key"]
    assert key.startswith("so_")
    assert key.encode() in response.content
    token = ApiToken.objects.get(user=org.rep_a)
    assert token.key_hash != key and key not in token.key_hash
    assert key.encode() not in rep_client.get("/me/").content
    # and the key authenticates API calls as the rep
    client.logout()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200 and me.json()["username"] == "rep_a"


def test_a_token_needs_a_name(rep_client):
    response = rep_client.post("/me/", {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_revoked_token_no_longer_authenticates(rep_client, org, client):
    key = rep_client.post("/me/", {"name": "phone"}).context["new_key"]
    token = ApiToken.objects.get(user=org.rep_a)
    response = rep_client.post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    client.logout()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 401
    assert me.json()["code"] == "unauthenticated"


def test_cannot_revoke_another_users_token(client, org):
    client.force_login(org.rep_b)
    key_owner_token = ApiToken.objects.create(
        user=org.rep_a, name="x", prefix="so_abc", key_hash="h"
    )
    response = client.post(f"/me/tokens/{key_owner_token.pk}/revoke/")
    assert response.status_code == 404
    key_owner_token.refresh_from_db()
    assert key_owner_token.revoked_at is None


def test_language_switch_is_remembered_on_the_profile(rep_client, org):
    assert org.rep_a.language == "en"
    response = rep_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/me/"})
    assert response.status_code == 302
    org.rep_a.refresh_from_db()
    assert org.rep_a.language == "zh-hans"
    page = rep_client.get("/me/")
    assert page["Content-Language"] == "zh-hans"


def test_pages_need_a_login(client, db):
    for url in ("/", "/me/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_dashboard_counts_only_what_the_user_may_see(client, org):
    from salesops.customers.tests.factories import make_account, make_contact

    make_contact(make_account(org.rep_a, province="上海市"))
    make_account(org.rep_d, province="广东省")
    client.force_login(org.rep_a)
    response = client.get("/dashboard/")
    assert response.context["account_count"] == 1
    assert response.context["contact_count"] == 1
    assert response.context["province_chart"] == {"labels": ["上海市"], "values": [1]}
    client.force_login(org.director)
    response = client.get("/dashboard/")
    assert response.context["account_count"] == 2
    assert sorted(response.context["province_chart"]["labels"]) == ["上海市", "广东省"]
