"""WeCom and DingTalk callbacks: signatures and decryption valid and invalid, replays
(old timestamp, reused nonce) refused with nothing written."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from salesops.core import clock
from salesops.inbox import configuration, crypto
from salesops.inbox.models import Message, SeenNonce, SourceKind

from .conftest import (
    AES_KEY,
    CORP_ID,
    DING_SECRET,
    TOKEN,
    ding_payload,
    dingtalk_post,
    wecom_inner,
    wecom_params,
    wecom_post,
)

pytestmark = pytest.mark.django_db

# WeCom's published sample (Sample.py of its WXBizMsgCrypt SDK): the settings of a demo
# corp, the URL check it sends and one encrypted user message.
SAMPLE_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
SAMPLE_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
SAMPLE_CORP = "ww1436e0e65a779aee"
SAMPLE_VERIFY = {
    "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
    "timestamp": "1476416373",
    "nonce": "47744683",
    "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
}
SAMPLE_POST = {
    "msg_signature": "0c3914025cb4b4d68103f6bfc8db550f79dcf48e",
    "timestamp": "1476422779",
    "nonce": "1597212914",
}
SAMPLE_ENCRYPT = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3Ny"
    "eTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde"
    "0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdk"
    "J7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSG"
    "XAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+"
)


@pytest.fixture
def sample_source(org):
    return configuration.source_save(
        actor=org.admin,
        kind=SourceKind.WECOM,
        name="WeCom sample corp",
        corp_id=SAMPLE_CORP,
        token=SAMPLE_TOKEN,
        aes_key=SAMPLE_KEY,
    )


def _at(ts: str):
    return dt.datetime.fromtimestamp(int(ts), tz=dt.UTC)


# --- the published vectors ---------------------------------------------------------------


def test_wecom_sample_url_check_answers_the_decrypted_echostr(client, sample_source):
    with clock.frozen(_at(SAMPLE_VERIFY["timestamp"])):
        response = client.get(f"/inbox/hooks/wecom/{sample_source.pk}/", SAMPLE_VERIFY)
    assert response.status_code == 200
    assert response.content == b"1288432023552776189"


def test_wecom_sample_message_decrypts_and_is_stored(client, sample_source):
    body = (
        f"<xml><ToUserName><![CDATA[{SAMPLE_CORP}]]></ToUserName>\n"
        f"<Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt>\n"
        "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
    )
    query = "&".join(f"{k}={v}" for k, v in SAMPLE_POST.items())
    with clock.frozen(_at(SAMPLE_POST["timestamp"])):
        response = client.post(
            f"/inbox/hooks/wecom/{sample_source.pk}/?{query}", data=body, content_type="text/xml"
        )
    assert response.status_code == 200, response.content
    message = Message.objects.get()
    assert (message.source_message_id, message.sender_address, message.body) == (
        "1456453720",
        "ChenJiaShun",
        "你好",
    )


def test_wecom_sample_with_one_changed_signature_digit_is_refused(client, sample_source):
    params = {**SAMPLE_VERIFY, "msg_signature": "112bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"}
    with clock.frozen(_at(SAMPLE_VERIFY["timestamp"])):
        response = client.get(f"/inbox/hooks/wecom/{sample_source.pk}/", params)
    assert response.status_code == 403
    assert response.content == b"bad signature"


# --- our encrypt side, written from the protocol ----------------------------------------------


def test_encrypt_then_decrypt_round_trip_with_chinese_text():
    plain = "<xml><Content>你好，想要报价</Content></xml>".encode()
    encrypted = crypto.wecom_encrypt(AES_KEY, plain, CORP_ID)
    assert crypto.wecom_decrypt(AES_KEY, encrypted, CORP_ID) == plain


def test_decrypt_refuses_a_message_for_another_corp():
    encrypted = crypto.wecom_encrypt(AES_KEY, b"<xml/>", "another_corp")
    with pytest.raises(crypto.CallbackRefused, match="wrong corp id"):
        crypto.wecom_decrypt(AES_KEY, encrypted, CORP_ID)


def test_decrypt_refuses_garbage_and_a_wrong_key():
    with pytest.raises(crypto.CallbackRefused):
        crypto.wecom_decrypt(AES_KEY, "bm90IGVuY3J5cHRlZA==", CORP_ID)
    encrypted = crypto.wecom_encrypt(AES_KEY, b"<xml/>", CORP_ID)
    other_key = "A" * 43
    with pytest.raises(crypto.CallbackRefused):
        crypto.wecom_decrypt(other_key, encrypted, CORP_ID)


def test_wecom_message_is_stored_and_answered_success(client, wecom_source):
    response = wecom_post(client, wecom_source, wecom_inner("wm_abc", "请发一份报价", "m-1"))
    assert response.status_code == 200
    assert response.content == b"success"
    message = Message.objects.get()
    assert message.channel == "wecom"
    assert message.scenario == "inquiry"
    assert message.scenario_keyword == "报价"


def test_wecom_url_check_with_our_encrypt_side(client, wecom_source):
    echostr = crypto.wecom_encrypt(AES_KEY, b"echo-42", CORP_ID)
    params = {**wecom_params(wecom_source, echostr), "echostr": echostr}
    response = client.get(f"/inbox/hooks/wecom/{wecom_source.pk}/", params)
    assert (response.status_code, response.content) == (200, b"echo-42")


def test_wecom_bad_signature_is_refused_and_nothing_written(client, wecom_source):
    response = wecom_post(
        client, wecom_source, wecom_inner("wm_abc", "投诉", "m-2"), token="not-the-token"
    )
    assert (response.status_code, response.content) == (403, b"bad signature")
    assert not Message.objects.exists()
    assert not SeenNonce.objects.exists()


def test_wecom_message_for_another_corp_is_refused(client, wecom_source):
    response = wecom_post(
        client, wecom_source, wecom_inner("wm_abc", "hi", "m-3"), corp_id="someone_else"
    )
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_wecom_old_timestamp_is_refused(client, wecom_source):
    old = int(time.time()) - 301
    response = wecom_post(client, wecom_source, wecom_inner("wm_abc", "hi", "m-4"), timestamp=old)
    assert (response.status_code, response.content) == (403, b"timestamp too old")
    assert not Message.objects.exists()


def test_wecom_timestamp_inside_the_configured_window_is_accepted(client, wecom_source, org):
    configuration.source_save(actor=org.admin, source=wecom_source, replay_window_seconds=900)
    old = int(time.time()) - 600
    response = wecom_post(client, wecom_source, wecom_inner("wm_abc", "hi", "m-5"), timestamp=old)
    assert response.status_code == 200


def test_wecom_reused_nonce_is_refused(client, wecom_source):
    first = wecom_post(client, wecom_source, wecom_inner("wm_abc", "hi", "m-6"), nonce="n-1")
    again = wecom_post(client, wecom_source, wecom_inner("wm_abc", "hi again", "m-7"), nonce="n-1")
    assert first.status_code == 200
    assert (again.status_code, again.content) == (403, b"nonce already used")
    assert list(Message.objects.values_list("source_message_id", flat=True)) == ["m-6"]


def test_wecom_same_message_id_twice_is_stored_once(client, wecom_source):
    wecom_post(client, wecom_source, wecom_inner("wm_abc", "hi", "m-8"))
    response = wecom_post(client, wecom_source, wecom_inner("wm_abc", "hi", "m-8"))
    assert response.status_code == 200
    assert Message.objects.count() == 1


def test_wecom_xml_with_entities_is_refused(client, wecom_source):
    encrypt = crypto.wecom_encrypt(AES_KEY, b"<xml/>", CORP_ID)
    params = wecom_params(wecom_source, encrypt)
    body = '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = client.post(
        f"/inbox/hooks/wecom/{wecom_source.pk}/?{query}", data=body, content_type="text/xml"
    )
    assert response.status_code == 403


def test_inactive_or_unknown_source_is_refused(client, wecom_source, org):
    configuration.source_save(actor=org.admin, source=wecom_source, is_active=False)
    response = wecom_post(client, wecom_source, wecom_inner("wm_abc", "hi", "m-9"))
    assert response.status_code == 403
    response = client.post("/inbox/hooks/wecom/999999/", data="<xml/>", content_type="text/xml")
    assert response.status_code == 403


# --- DingTalk -------------------------------------------------------------------------------


def test_dingtalk_signature_matches_the_documented_formula():
    # base64(HMAC-SHA256(secret, timestamp + "\n" + secret)), as the notifications app signs
    # outgoing robots (there URL-encoded for the query string).
    from urllib.parse import unquote_plus

    from salesops.notifications.webhooks import dingtalk_sign

    assert crypto.dingtalk_signature("SEC123", "1700000000000") == unquote_plus(
        dingtalk_sign("SEC123", 1700000000000)
    )


def test_dingtalk_message_is_stored(client, dingtalk_source):
    response = dingtalk_post(client, dingtalk_source, ding_payload("staff1", "设备故障了", "d-1"))
    assert response.status_code == 200
    message = Message.objects.get()
    assert (message.channel, message.sender_address, message.scenario) == (
        "dingtalk",
        "staff1",
        "complaint",
    )


def test_dingtalk_bad_signature_is_refused(client, dingtalk_source):
    response = dingtalk_post(
        client, dingtalk_source, ding_payload("staff1", "hi", "d-2"), secret="wrong"
    )
    assert (response.status_code, response.content) == (403, b"bad signature")
    assert not Message.objects.exists()


def test_dingtalk_timestamp_more_than_an_hour_off_is_refused(client, dingtalk_source):
    old = int(time.time() * 1000) - 3601 * 1000
    response = dingtalk_post(
        client, dingtalk_source, ding_payload("staff1", "hi", "d-3"), timestamp_ms=old
    )
    assert (response.status_code, response.content) == (403, b"timestamp too old")


def test_dingtalk_replayed_request_is_refused(client, dingtalk_source):
    ts = int(time.time() * 1000)
    first = dingtalk_post(client, dingtalk_source, ding_payload("s", "hi", "d-4"), timestamp_ms=ts)
    again = dingtalk_post(client, dingtalk_source, ding_payload("s", "hi", "d-5"), timestamp_ms=ts)
    assert first.status_code == 200
    assert (again.status_code, again.content) == (403, b"nonce already used")
    assert Message.objects.count() == 1


def test_dingtalk_empty_message_after_a_good_signature_is_400_and_nothing_kept(
    client, dingtalk_source
):
    response = dingtalk_post(client, dingtalk_source, ding_payload("s", "", "d-6"))
    assert response.status_code == 400
    assert not Message.objects.exists()
    assert not SeenNonce.objects.exists()


def test_a_secret_is_never_in_the_source_page(client, org, dingtalk_source, wecom_source):
    client.force_login(org.admin)
    page = client.get(f"/inbox/settings/sources/{wecom_source.pk}/").content.decode()
    assert TOKEN not in page and AES_KEY not in page and "agent-secret-abc" not in page
    page = client.get(f"/inbox/settings/sources/{dingtalk_source.pk}/").content.decode()
    assert DING_SECRET not in page
