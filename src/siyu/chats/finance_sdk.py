"""WeCom's real chat archive, read with Tencent's Finance SDK (``libWeWorkFinanceSdk_C.so``).

WeCom serves the archive only through this native library, not plain HTTP (WECOM.md §6.2). A
tenant reading it needs three things, and this reader refuses with
:class:`~siyu.chats.errors.ArchiveNotConfigured` naming whichever is missing:

- the library, downloaded from WeCom's admin documentation and installed on every worker, its
  path in ``SIYU_CHAT_ARCHIVE_SDK_PATH``;
- the corp's 会话存档 Secret (its own secret, not the customer-contact one);
- the RSA private key(s) whose public halves the admin uploaded to WeCom, by ``publickey_ver``.

Per page: ``GetChatData(sdk, seq, limit, proxy, passwd, timeout, slice)`` returns JSON
``{errcode, errmsg, chatdata: [{seq, msgid, publickey_ver, encrypt_random_key,
encrypt_chat_msg}]}``; each ``encrypt_random_key`` is base64 of the message key encrypted with
RSA PKCS#1 v1.5 under the key of ``publickey_ver``; ``DecryptData(key, encrypt_chat_msg, slice)``
gives the message JSON. SDK errors 10001–10003 are network or system errors and worth retrying.

This module cannot be exercised without the library and a corp's keys; it has no fallback.
"""

from __future__ import annotations

import base64
import ctypes
import json
import threading
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from siyu.chats.archive import ArchivedMessage, MalformedMessage, check_limit, message_from
from siyu.chats.errors import ArchiveFailed, ArchiveNotConfigured

TIMEOUT_SECONDS = 10
RETRYABLE = frozenset({10001, 10002, 10003})


class _Slice(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_char_p), ("len", ctypes.c_int)]


_libraries: dict[str, ctypes.CDLL] = {}
_lock = threading.Lock()


def _library(path: str) -> ctypes.CDLL:
    with _lock:
        lib = _libraries.get(path)
        if lib is None:
            lib = ctypes.CDLL(path)
            lib.NewSdk.restype = ctypes.c_void_p
            lib.Init.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
            lib.Init.restype = ctypes.c_int
            lib.NewSlice.restype = ctypes.POINTER(_Slice)
            lib.FreeSlice.argtypes = [ctypes.POINTER(_Slice)]
            lib.GetChatData.argtypes = [
                ctypes.c_void_p,
                ctypes.c_ulonglong,
                ctypes.c_uint,
                ctypes.c_char_p,
                ctypes.c_char_p,
                ctypes.c_int,
                ctypes.POINTER(_Slice),
            ]
            lib.GetChatData.restype = ctypes.c_int
            lib.DecryptData.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(_Slice)]
            lib.DecryptData.restype = ctypes.c_int
            lib.DestroySdk.argtypes = [ctypes.c_void_p]
            _libraries[path] = lib
        return lib


def _slice_bytes(piece: Any) -> bytes:
    contents = piece.contents
    return ctypes.string_at(contents.buf, contents.len) if contents.buf else b""


def load_private_keys(pems: dict[str, str]) -> dict[int, rsa.RSAPrivateKey]:
    """The corp's private keys by ``publickey_ver``; raises ValueError for a key that is not an
    unencrypted RSA private key in PEM."""
    keys: dict[int, rsa.RSAPrivateKey] = {}
    for version, pem in pems.items():
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"key version {version} is not an RSA key")
        keys[int(version)] = key
    return keys


class FinanceSdkArchive:
    def __init__(
        self,
        *,
        library_path: str,
        corp_id: str,
        secret: str | None,
        private_keys: dict[str, str] | None,
        proxy: str = "",
        proxy_password: str = "",
    ) -> None:
        missing = []
        if not library_path:
            missing.append("sdk_path")
        elif not Path(library_path).is_file():
            missing.append("sdk_file")
        if not secret:
            missing.append("secret")
        if not private_keys:
            missing.append("private_key")
        if missing:
            raise ArchiveNotConfigured(missing=missing, path=library_path)
        assert secret is not None
        assert private_keys is not None
        try:
            self.keys = load_private_keys(private_keys)
        except ValueError as exc:
            raise ArchiveFailed(reason=f"the RSA private key cannot be read: {exc}") from None
        self.corp_id, self.secret = corp_id, secret
        self.proxy, self.proxy_password = proxy, proxy_password
        self.lib = _library(library_path)
        self.sdk = self.lib.NewSdk()
        code = self.lib.Init(self.sdk, corp_id.encode(), secret.encode())
        if code != 0:
            self.close()
            raise ArchiveFailed(reason=f"the Finance SDK's Init failed with {code}")

    def close(self) -> None:
        if getattr(self, "sdk", None):
            self.lib.DestroySdk(self.sdk)
            self.sdk = None

    def fetch(self, seq: int, limit: int) -> list[ArchivedMessage]:
        check_limit(limit)
        piece = self.lib.NewSlice()
        try:
            code = self.lib.GetChatData(
                self.sdk,
                seq,
                limit,
                self.proxy.encode() or None,
                self.proxy_password.encode() or None,
                TIMEOUT_SECONDS,
                piece,
            )
            if code != 0:
                kind = "retryable" if code in RETRYABLE else "refused"
                raise ArchiveFailed(reason=f"GetChatData {kind}: SDK error {code}")
            answer = json.loads(_slice_bytes(piece) or b"{}")
        finally:
            self.lib.FreeSlice(piece)
        if answer.get("errcode", 0) != 0:
            problem = f"{answer.get('errcode')} {answer.get('errmsg')}"
            raise ArchiveFailed(reason=f"GetChatData: {problem}")
        return [self._open(entry) for entry in answer.get("chatdata") or []]

    def _open(self, entry: dict[str, Any]) -> ArchivedMessage:
        version = int(entry.get("publickey_ver", 0))
        key = self.keys.get(version)
        if key is None:
            raise ArchiveFailed(
                reason=f"no private key for publickey_ver {version} (message {entry.get('msgid')})"
            )
        try:
            encrypted_key = base64.b64decode(entry["encrypt_random_key"])
            random_key = key.decrypt(encrypted_key, padding.PKCS1v15())
        except (KeyError, ValueError) as exc:
            raise ArchiveFailed(reason=f"encrypt_random_key cannot be decrypted: {exc}") from None
        piece = self.lib.NewSlice()
        try:
            code = self.lib.DecryptData(random_key, str(entry["encrypt_chat_msg"]).encode(), piece)
            if code != 0:
                raise ArchiveFailed(reason=f"DecryptData: SDK error {code}")
            plain = _slice_bytes(piece)
        finally:
            self.lib.FreeSlice(piece)
        try:
            return message_from(int(entry["seq"]), str(entry["msgid"]), json.loads(plain))
        except (MalformedMessage, ValueError, KeyError) as exc:
            raise ArchiveFailed(reason=f"a decrypted message cannot be read: {exc}") from None
