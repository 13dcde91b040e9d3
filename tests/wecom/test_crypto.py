"""WeCom's published samples verify and decrypt; anything else is refused with a reason."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.wecom.crypto import CallbackCrypto, CallbackRejected

# Tencent's official sample (weworkapi_python callback/Sample.py).
A_TOKEN = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
A_KEY = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
A_CORP = "ww1436e0e65a779aee"
A_ECHOSTR = (
    "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
)
A_POST = (
    "Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGz"
    "BhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3J"
    "WcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQH"
    "E7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYu"
    "PDGOCI8jmnKiypE+"
)
A_POST_PLAIN = (
    "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName>"
    "<CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content>"
    "<MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)

# The older 企业号 sample (PHP), dated 2014.
B_TOKEN, B_KEY, B_CORP = (
    "QDG6eK",
    "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "wx5823bf96d3bd56c7",
)
B_ECHOSTR = (
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)
B_POST = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUp"
    "j911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue"
    "06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+"
    "3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH"
    "27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8"
    "R07+qN+E7Q=="
)


def crypto_at(token: str, key: str, corp: str, timestamp: int) -> CallbackCrypto:
    return CallbackCrypto(token, key, corp, clock=lambda: float(timestamp))


def test_official_sample_url_verification() -> None:
    crypto = crypto_at(A_TOKEN, A_KEY, A_CORP, 1476416373)
    reply = crypto.open(
        "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", A_ECHOSTR
    )
    assert reply == "1288432023552776189"


def test_official_sample_post_decrypts_to_the_published_plaintext() -> None:
    crypto = crypto_at(A_TOKEN, A_KEY, A_CORP, 1476422779)
    plain = crypto.open(
        "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", A_POST
    )
    assert plain == A_POST_PLAIN


def test_older_sample_verifies_and_decrypts() -> None:
    crypto = crypto_at(B_TOKEN, B_KEY, B_CORP, 1409659589)
    assert crypto.open(
        "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", B_ECHOSTR
    ) == ("1616140317555161061")
    crypto = crypto_at(B_TOKEN, B_KEY, B_CORP, 1409659813)
    plain = crypto.open(
        "477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", B_POST
    )
    assert "<Content><![CDATA[hello]]></Content>" in plain
    assert "<MsgId>4561255354251345929</MsgId>" in plain


def test_a_sample_replayed_today_is_refused_as_stale() -> None:
    crypto = CallbackCrypto(A_TOKEN, A_KEY, A_CORP)  # the real clock: 2014 is long past
    with pytest.raises(CallbackRejected) as rejected:
        crypto.open("0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", A_POST)
    assert rejected.value.reason == "stale_timestamp"


def test_a_forged_signature_is_refused() -> None:
    crypto = crypto_at(A_TOKEN, A_KEY, A_CORP, 1476422779)
    with pytest.raises(CallbackRejected) as rejected:
        crypto.open("0" * 40, "1476422779", "1597212914", A_POST)
    assert rejected.value.reason == "bad_signature"


def test_a_message_for_another_corp_is_refused() -> None:
    theirs = crypto_at(A_TOKEN, A_KEY, "ww-some-other-corp", 1476422779)
    with pytest.raises(CallbackRejected) as rejected:
        theirs.open("0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", A_POST)
    assert rejected.value.reason == "wrong_receiver"


def test_broken_padding_is_refused() -> None:
    crypto = crypto_at(A_TOKEN, A_KEY, A_CORP, 1476422779)
    data = bytearray(base64.b64decode(A_POST))
    # In CBC, flipping a byte of the second-last block flips the same byte of the last plaintext
    # block: here the pad count, which becomes an impossible value.
    data[-17] ^= 0xFF
    with pytest.raises(CallbackRejected) as rejected:
        crypto.decrypt(base64.b64encode(bytes(data)).decode())
    assert rejected.value.reason == "bad_padding"


def test_garbage_ciphertext_is_refused() -> None:
    crypto = crypto_at(A_TOKEN, A_KEY, A_CORP, 0)
    for garbage, reason in (("not base64 at all!", "bad_base64"), ("AAAA", "bad_ciphertext")):
        with pytest.raises(CallbackRejected) as rejected:
            crypto.decrypt(garbage)
        assert rejected.value.reason == reason


def test_an_invalid_encoding_aes_key_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="43"):
        CallbackCrypto(A_TOKEN, "short", A_CORP)


def test_encrypt_with_a_fixed_prefix_is_deterministic_and_signs_like_wecom() -> None:
    crypto = crypto_at(A_TOKEN, A_KEY, A_CORP, 1476416373)
    once = crypto.encrypt("1288432023552776189", random_prefix=b"1234567890123456")
    again = crypto.encrypt("1288432023552776189", random_prefix=b"1234567890123456")
    assert once == again
    params, body = crypto.envelope(A_POST_PLAIN, timestamp="1476416373", nonce="1")
    encrypted = body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    assert (
        crypto.open(params["msg_signature"], params["timestamp"], params["nonce"], encrypted)
        == A_POST_PLAIN
    )


@given(st.text(max_size=3000))
def test_decrypt_inverts_encrypt_for_any_text(text: str) -> None:
    crypto = crypto_at(A_TOKEN, A_KEY, A_CORP, 0)
    assert crypto.decrypt(crypto.encrypt(text)) == text
