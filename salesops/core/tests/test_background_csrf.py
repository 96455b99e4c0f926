"""A background request never puts back the CSRF cookie it carried (core.middleware).

The race it closes, seen in the browser: the offline app's worker fetched a page with the
old cookie, the user cleared cookies and opened the login page (a new cookie), the worker's
answer arrived last and restored the old cookie, and the login POST was refused. The
browser test is tests/e2e/test_home_e2e.py::test_a_late_background_answer_leaves_the_login_cookie."""

from django.conf import settings

SECRET = "a" * 32  # a CSRF cookie in Django's format: 32 characters


def _cookie(response):
    return response.cookies.get(settings.CSRF_COOKIE_NAME)


def test_a_navigation_renews_the_cookie_it_carried(client):
    client.cookies[settings.CSRF_COOKIE_NAME] = SECRET
    response = client.get("/login/", headers={"Sec-Fetch-Mode": "navigate"})
    assert response.status_code == 200
    assert _cookie(response).value == SECRET


def test_a_background_request_does_not_resend_the_cookie_it_carried(client):
    client.cookies[settings.CSRF_COOKIE_NAME] = SECRET
    for mode in ("cors", "same-origin", "no-cors"):
        response = client.get("/login/", headers={"Sec-Fetch-Mode": mode})
        assert response.status_code == 200
        assert b"csrfmiddlewaretoken" in response.content
        assert _cookie(response) is None, mode


def test_a_background_request_without_a_cookie_gets_a_new_one(client):
    response = client.get("/login/", headers={"Sec-Fetch-Mode": "cors"})
    new = _cookie(response)
    assert new is not None and len(new.value) == 32


def test_a_browser_that_sends_no_fetch_metadata_keeps_djangos_renewal(client):
    client.cookies[settings.CSRF_COOKIE_NAME] = SECRET
    assert _cookie(client.get("/login/")).value == SECRET


def test_a_login_from_a_background_form_post_still_rotates_the_cookie(client, org):
    """Login rotates the token whatever the mode: the rule only drops an unchanged cookie."""
    client.cookies[settings.CSRF_COOKIE_NAME] = SECRET
    response = client.post(
        "/login/",
        {"username": org.rep_a.username, "password": org.password},
        headers={"Sec-Fetch-Mode": "cors"},
    )
    assert response.status_code == 302
    rotated = _cookie(response)
    assert rotated is not None and rotated.value != SECRET
