import pytest

from salesops.core.netsafety import UnsafeURL, check_url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(url, settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    with pytest.raises(UnsafeURL, match="private or loopback"):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_only_http_and_https(url):
    with pytest.raises(UnsafeURL, match="Only http:// and https://"):
        check_url(url)


def test_public_address_passes_and_the_setting_allows_loopback(settings):
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": False}
    assert check_url("https://1.1.1.1/hook") == "https://1.1.1.1/hook"
    settings.SALESOPS = {**settings.SALESOPS, "WEBHOOK_ALLOW_PRIVATE": True}
    assert check_url("http://127.0.0.1:9/hook") == "http://127.0.0.1:9/hook"
