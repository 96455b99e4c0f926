"""The signatures and message encryption of the WeCom and DingTalk callbacks.

WeCom ("企业微信 回调 加解密"): ``msg_signature`` is the hex SHA-1 of the four strings
``token, timestamp, nonce, encrypt`` sorted and joined; ``encrypt`` is base64 of
AES-256-CBC(key = base64decode(EncodingAESKey + "="), IV = key[:16]) over PKCS#7 padding
to 32-byte blocks of ``16 random bytes + 4-byte big-endian length + message + receive
id`` (the corp id). DingTalk: ``sign`` = base64(HMAC-SHA256(app secret, timestamp + "\\n"
+ app secret)), timestamp in milliseconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32


class CallbackRefused(Exception):
    """A callback we do not accept; ``reason`` is short and safe to answer."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def wecom_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode((encoding_aes_key or "") + "=", validate=True)
    except (binascii.Error, ValueError):
        raise CallbackRefused("bad EncodingAESKey") from None
    if len(key) != 32:
        raise CallbackRefused("bad EncodingAESKey")
    return key


def wecom_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    joined = "".join(sorted([token, timestamp, nonce, encrypt]))
    return hashlib.sha1(joined.encode()).hexdigest()


def wecom_check_signature(token, timestamp, nonce, encrypt, signature) -> None:
    expected = wecom_signature(token, timestamp, nonce, encrypt)
    if not hmac.compare_digest(expected, (signature or "").lower()):
        raise CallbackRefused("bad signature")


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    if not data:
        raise CallbackRefused("cannot decrypt")
    n = data[-1]
    if n < 1 or n > BLOCK or data[-n:] != bytes([n]) * n:
        raise CallbackRefused("cannot decrypt")
    return data[:-n]


def wecom_encrypt(encoding_aes_key: str, plaintext: bytes, receive_id: str, random16=None) -> str:
    """The ``Encrypt`` value WeCom sends (used for answers and by the tests)."""
    key = wecom_key(encoding_aes_key)
    random16 = random16 if random16 is not None else os.urandom(16)
    raw = random16 + struct.pack(">I", len(plaintext)) + plaintext + receive_id.encode()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(_pad(raw)) + encryptor.finalize()).decode()


def wecom_decrypt(encoding_aes_key: str, encrypt: str, receive_id: str) -> bytes:
    """The message in ``encrypt``; refused when it does not decrypt or was meant for
    another corp (receive id)."""
    key = wecom_key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypt or "", validate=True)
    except (binascii.Error, ValueError):
        raise CallbackRefused("cannot decrypt") from None
    if not data or len(data) % 16:
        raise CallbackRefused("cannot decrypt")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    raw = _unpad(decryptor.update(data) + decryptor.finalize())
    if len(raw) < 20:
        raise CallbackRefused("cannot decrypt")
    (length,) = struct.unpack(">I", raw[16:20])
    message, rest = raw[20 : 20 + length], raw[20 + length :]
    if len(message) != length:
        raise CallbackRefused("cannot decrypt")
    if receive_id and not hmac.compare_digest(rest, receive_id.encode()):
        raise CallbackRefused("wrong corp id")
    return message


def dingtalk_signature(app_secret: str, timestamp: str) -> str:
    to_sign = f"{timestamp}\n{app_secret}".encode()
    return base64.b64encode(
        hmac.new(app_secret.encode(), to_sign, hashlib.sha256).digest()
    ).decode()


def dingtalk_check_signature(app_secret: str, timestamp: str, sign: str) -> None:
    if not app_secret or not hmac.compare_digest(
        dingtalk_signature(app_secret, timestamp), sign or ""
    ):
        raise CallbackRefused("bad signature")
