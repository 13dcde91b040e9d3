"""WeCom's callback crypto (WXBizMsgCrypt), written from the published scheme.

- ``msg_signature`` = lowercase hex SHA-1 of the four strings token, timestamp, nonce and the
  ciphertext, sorted and concatenated.
- AES-256-CBC with key = base64(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7
  padding to 32-byte blocks; plaintext = 16 random bytes + 4-byte big-endian length + message +
  receive id (the corp id), which must match.

Every failure raises :class:`CallbackRejected` with a reason a log line can carry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_SIZE = 32
AES_KEY_LENGTH = 43
# WeCom signs with the current time; a callback older or newer than this is refused as a replay.
DEFAULT_REPLAY_WINDOW = 300


class CallbackRejected(Exception):
    """A callback that must not be trusted; ``reason`` is a stable word for logs and metrics."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    parts = sorted([token, timestamp, nonce, encrypted])
    return hashlib.sha1("".join(parts).encode()).hexdigest()  # noqa: S324 - WeCom's scheme


def aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != AES_KEY_LENGTH or not encoding_aes_key.isalnum():
        raise ValueError("EncodingAESKey must be 43 letters and digits")
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


def pkcs7_pad(data: bytes) -> bytes:
    count = BLOCK_SIZE - len(data) % BLOCK_SIZE
    return data + bytes([count]) * count


def pkcs7_unpad(data: bytes) -> bytes:
    if not data:
        raise CallbackRejected("bad_padding", "empty plaintext")
    count = data[-1]
    if not 1 <= count <= BLOCK_SIZE or data[-count:] != bytes([count]) * count:
        raise CallbackRejected("bad_padding", "PKCS#7 padding is broken")
    return data[:-count]


@dataclass
class CallbackCrypto:
    """One app's callback settings: the Token, the EncodingAESKey and the receive id (corp id)."""

    token: str
    encoding_aes_key: str
    receive_id: str
    replay_window: int = DEFAULT_REPLAY_WINDOW
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def __post_init__(self) -> None:
        self._key = aes_key(self.encoding_aes_key)

    # --- encryption (WeCom's side: the sandbox, and passive replies) ---------------------

    def encrypt(self, message: str, *, random_prefix: bytes | None = None) -> str:
        prefix = random_prefix if random_prefix is not None else secrets.token_bytes(16)
        if len(prefix) != 16:
            raise ValueError("the random prefix is 16 bytes")
        body = message.encode()
        plain = prefix + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).encryptor()
        return base64.b64encode(encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()).decode()

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self.token, timestamp, nonce, encrypted)

    def envelope(
        self,
        message: str,
        *,
        timestamp: str | None = None,
        nonce: str | None = None,
        agent_id: str = "",
    ) -> tuple[dict[str, str], str]:
        """Encrypt and sign a callback as WeCom sends it: (query parameters, XML body)."""
        timestamp = timestamp or str(int(self.clock()))
        nonce = nonce or str(secrets.randbelow(10**10))
        encrypted = self.encrypt(message)
        params = {
            "msg_signature": self.sign(timestamp, nonce, encrypted),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        body = (
            f"<xml><ToUserName><![CDATA[{self.receive_id}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<AgentID><![CDATA[{agent_id}]]></AgentID></xml>"
        )
        return params, body

    # --- decryption (Siyu's side) ---------------------------------------------------------

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        expected = self.sign(timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
            raise CallbackRejected("bad_signature", "msg_signature does not match")
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise CallbackRejected("bad_timestamp", "timestamp is not a number") from None
        if abs(self.clock() - sent_at) > self.replay_window:
            raise CallbackRejected(
                "stale_timestamp",
                f"timestamp {sent_at} is more than {self.replay_window}s from now (replayed?)",
            )

    def decrypt(self, encrypted: str) -> str:
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CallbackRejected("bad_base64", "ciphertext is not base64") from None
        if not data or len(data) % 16:
            raise CallbackRejected("bad_ciphertext", "ciphertext length is not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16])).decryptor()
        plain = pkcs7_unpad(decryptor.update(data) + decryptor.finalize())
        if len(plain) < 20:
            raise CallbackRejected("bad_plaintext", "plaintext too short")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise CallbackRejected("bad_plaintext", "declared length exceeds the plaintext")
        message, receive_id = plain[20 : 20 + length], plain[20 + length :]
        if receive_id.decode(errors="replace") != self.receive_id:
            raise CallbackRejected(
                "wrong_receiver", "the callback was encrypted for another corp id (receive id)"
            )
        try:
            return message.decode()
        except UnicodeDecodeError:
            raise CallbackRejected("bad_plaintext", "message is not UTF-8") from None

    def open(self, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> str:
        """Verify, then decrypt: the one call the callback endpoint makes."""
        self.verify(msg_signature, timestamp, nonce, encrypted)
        return self.decrypt(encrypted)
