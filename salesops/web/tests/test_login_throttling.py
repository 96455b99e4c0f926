"""Login throttling (django-axes via core.logins): locks per user and per address, the
message on the login page, and the admins' Locked logins page."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from salesops.core.models import LoginPolicy
from salesops.org.tests.factories import PASSWORD

LOCKED_PAGE = "/settings/logins/"


def attempt(client, username, password, path="/login/"):
    return client.post(path, {"username": username, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, username, times=5, path="/login/"):
    """``times`` wrong passwords: the form with its error, the last one perhaps already the
    lock (the attempt that reaches the limit is answered 429)."""
    for n in range(times):
        response = attempt(client, username, "wrong-password", path)
        assert response.status_code in ((200, 429) if n == times - 1 else (200,))
    assert not logged_in(client)
    return response


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_five_wrong_passwords_lock_the_user_and_refuse_the_right_one(org, path):
    client = Client(headers={"Accept-Language": "en"})
    fail(client, "rep_a", path=path)
    response = attempt(client, "rep_a", PASSWORD, path)
    assert response.status_code == 429
    text = response.content.decode()
    assert 'data-testid="login-locked"' in text
    assert "locked for 15 minutes" in text
    assert "ask a sales-ops admin to unlock it" in text
    assert not logged_in(client)
    # from another address the user is still locked
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert attempt(elsewhere, "rep_a", PASSWORD).status_code == 429
    assert not logged_in(elsewhere)


def test_fewer_failures_do_not_lock_and_a_success_starts_the_count_again(org):
    client = Client()
    fail(client, "rep_a", times=4)
    assert attempt(client, "rep_a", PASSWORD).status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.filter(username="rep_a").exists()


def test_wrong_passwords_for_many_users_lock_the_address(org):
    office = Client(REMOTE_ADDR="192.0.2.10")
    for name in ("rep_a", "rep_b", "rep_c", "rep_d", "nobody"):
        fail(office, name, times=1)
    # rep_b's own count is 1, but the address has 5
    assert attempt(office, "rep_b", PASSWORD).status_code == 429
    other = Client(REMOTE_ADDR="192.0.2.11")
    assert attempt(other, "rep_b", PASSWORD).status_code == 302
    assert logged_in(other)


def test_the_lock_message_is_translated(org):
    client = Client(headers={"Accept-Language": "zh-hans"})
    fail(client, "rep_a")
    text = attempt(client, "rep_a", PASSWORD).content.decode()
    assert "登录失败次数过多" in text and "15 分钟" in text


def test_an_admin_unlocks_a_user_from_the_locked_logins_page(org):
    client = Client(REMOTE_ADDR="198.51.100.7")
    fail(client, "rep_a")
    admin = Client()
    admin.force_login(org.admin)
    page = admin.get(LOCKED_PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-kind="user" data-value="rep_a"' in text
    assert 'data-kind="address" data-value="198.51.100.7"' in text
    response = admin.post(LOCKED_PAGE, {"action": "unlock", "kind": "user", "value": "rep_a"})
    assert response.status_code == 302
    assert 'data-value="rep_a"' not in admin.get(LOCKED_PAGE).content.decode()
    assert attempt(client, "rep_a", PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_page_is_in_the_settings_menu_for_admins_only(org):
    admin, rep = Client(), Client()
    admin.force_login(org.admin)
    rep.force_login(org.rep_a)
    assert LOCKED_PAGE in admin.get("/").content.decode()
    assert LOCKED_PAGE not in rep.get("/").content.decode()


@pytest.mark.parametrize("user", ["rep_a", "manager_east", "director", "finance"])
def test_others_cannot_see_or_unlock(org, user):
    locked = Client(REMOTE_ADDR="203.0.113.5")
    fail(locked, "rep_b")
    client = Client()
    client.force_login(getattr(org, user))
    assert client.get(LOCKED_PAGE).status_code == 403
    response = client.post(LOCKED_PAGE, {"action": "unlock", "kind": "user", "value": "rep_b"})
    assert response.status_code == 403
    assert attempt(locked, "rep_b", PASSWORD).status_code == 429
    anonymous = Client().get(LOCKED_PAGE)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


def test_admins_edit_the_limits_on_the_page(org):
    admin = Client()
    admin.force_login(org.admin)
    bad = admin.post(
        LOCKED_PAGE, {"action": "policy", "failure_limit": "1", "cooloff_minutes": "5"}
    )
    assert bad.status_code == 200
    assert "failure_limit" in bad.context["form"].errors
    assert not LoginPolicy.objects.exists()
    response = admin.post(
        LOCKED_PAGE, {"action": "policy", "failure_limit": "3", "cooloff_minutes": "60"}
    )
    assert response.status_code == 302
    policy = LoginPolicy.objects.get()
    assert (policy.failure_limit, policy.cooloff_minutes, policy.updated_by) == (3, 60, org.admin)
    client = Client(headers={"Accept-Language": "en"})
    fail(client, "rep_c", times=3)
    response = attempt(client, "rep_c", PASSWORD)
    assert response.status_code == 429
    assert "locked for 60 minutes" in response.content.decode()


def test_test_client_login_and_force_login_still_work(org):
    client = Client()
    assert client.login(username="rep_a", password=PASSWORD)
    assert client.get("/").status_code == 200
    other = Client()
    other.force_login(org.rep_b)
    assert other.get("/").status_code == 200
