"""The real archive's reader refuses, naming what is missing, rather than pretend."""

from __future__ import annotations

from pathlib import Path

import pytest

from siyu.chats.errors import ArchiveNotConfigured
from siyu.chats.finance_sdk import FinanceSdkArchive


def test_without_library_secret_or_key_it_names_all_three_in_both_languages() -> None:
    with pytest.raises(ArchiveNotConfigured) as refused:
        FinanceSdkArchive(library_path="", corp_id="wwcorp", secret=None, private_keys=None)
    assert refused.value.params["missing"] == ["sdk_path", "secret", "private_key"]
    chinese = refused.value.message("zh-CN")
    assert "libWeWorkFinanceSdk_C.so" in chinese
    assert "会话存档 Secret" in chinese
    assert "RSA 私钥" in chinese
    assert "SIYU_CHAT_ARCHIVE_SDK_PATH" in refused.value.message("en")


def test_a_library_path_that_does_not_exist_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "libWeWorkFinanceSdk_C.so"
    with pytest.raises(ArchiveNotConfigured) as refused:
        FinanceSdkArchive(
            library_path=str(missing), corp_id="wwcorp", secret="s", private_keys={"1": "k"}
        )
    assert refused.value.params["missing"] == ["sdk_file"]
    assert str(missing) in refused.value.message("en")
