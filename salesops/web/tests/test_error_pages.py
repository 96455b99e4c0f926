"""Friendly 404 and 500 pages, and no debug page on the shipped server."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from django.views.defaults import server_error


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Page not found"), ("zh-hans", "页面不存在")]
)
def test_a_bad_url_shows_the_products_404_page(client, org, language, title):
    client.force_login(org.rep_a)
    org.rep_a.language = language
    org.rep_a.save(update_fields=["language"])
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    text = response.content.decode()
    assert title in text
    assert 'data-testid="nav-settings"' in text or "navbar" in text  # the product's shell


def test_anonymous_visitors_get_the_404_page_too(client, db):
    response = client.get("/no-such-page/", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "title"), [("en", "Something went wrong"), ("zh-hans", "出错了")]
)
def test_the_500_page_renders_without_database_or_context(language, title):
    # No ``db`` fixture: any query here would fail the test.
    request = RequestFactory().get("/anything/")
    with translation.override(language):
        response = server_error(request)
        text = render_to_string("500.html")
    assert response.status_code == 500
    assert title in response.content.decode()
    assert title in text
    assert "/static/vendor/tabler/tabler.min.css" in text


def test_the_shipped_server_shows_no_debug_page_on_a_bad_url(real_server):
    status, headers, body = real_server.request(
        "GET", "/no-such-page/", headers={"Accept-Language": "en"}
    )
    text = body.decode()
    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert "URLconf" not in text and "api/v1/" not in text and "admin/" not in text
    assert "Page not found" in text
    assert 'data-testid="error-404"' in text
    # and its static files are served (WhiteNoise) with DEBUG off
    status, _, _ = real_server.request("GET", "/static/web/app.css")
    assert status == 200


@pytest.mark.parametrize("path", ["/leads/", "/leads/export.csv", "/customers/accounts/"])
def test_a_nul_in_the_query_is_a_400_naming_the_parameter(client, org, path):
    # PostgreSQL cannot compare text with a NUL in it: the leads search answered a 500.
    client.force_login(org.rep_a)
    response = client.get(path, {"q": "a\x00b"})
    assert response.status_code == 400
    assert "400.html" in [t.name for t in response.templates]
    assert "“q”" in response.content.decode()
    # the API keeps its own error shape for the same thing
    api = client.get("/api/v1/leads", {"q": "a\x00b"})
    assert api.status_code == 422 and api.json()["field"] == "q"


def test_an_overlong_user_name_at_login_is_a_failed_login_not_a_500(client, db):
    # The log-in form hands whatever was typed to authenticate(); the attempt log keeps
    # at most a user name's length (a 500 on PostgreSQL before).
    response = client.post("/login/", {"username": "a" * 3000, "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    from axes.models import AccessAttempt

    attempt = AccessAttempt.objects.get()
    assert attempt.username == "a" * 150
