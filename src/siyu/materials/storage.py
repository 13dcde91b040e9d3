"""A material's bytes: checked against WeCom's limits by what they are (not by their name),
kept under the tenant's folder of the var directory, read back for the console and for WeCom."""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from siyu.config import get_settings
from siyu.materials.errors import BadFileType, FileRequired, FileTooLarge
from siyu.materials.models import FILE, IMAGE, VIDEO

MB = 1 << 20
# WeCom's media/upload limits: images and videos 10 MB, files 20 MB; uploadimg (a link's cover
# URL) takes images up to 2 MB.
LIMITS = {IMAGE: 10 * MB, VIDEO: 10 * MB, FILE: 20 * MB}
COVER_URL_LIMIT = 2 * MB
KIND_LABELS = {
    IMAGE: ("图片", "image"),
    VIDEO: ("视频", "video"),
    FILE: ("文件", "file"),
    "link": ("链接", "link"),
    "miniprogram": ("小程序", "mini-program card"),
}


@dataclass(frozen=True)
class Stored:
    file_name: str
    file_path: str  # relative to the var directory
    content_type: str
    size: int
    sha256: str


def sniff(kind: str, head: bytes) -> tuple[str, str] | None:
    """The content type and suffix of an image (PNG/JPEG) or video (MP4) by its first bytes."""
    if kind == IMAGE:
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return "image/png", ".png"
        if head.startswith(b"\xff\xd8\xff"):
            return "image/jpeg", ".jpg"
        return None
    if kind == VIDEO:
        # An MP4 (ISO base media) file opens with a box whose type is ``ftyp``.
        return ("video/mp4", ".mp4") if head[4:8] == b"ftyp" else None
    return None


def _labels(kind: str) -> dict[str, str]:
    zh, en = KIND_LABELS[kind]
    return {"kind_zh": zh, "kind_en": en}


def read_checked(kind: str, stream: IO[bytes], filename: str) -> tuple[bytes, str, str]:
    """Read an upload (never more than its limit and one byte) and check it: the bytes, the
    content type and the file name to keep."""
    limit = LIMITS[kind]
    content = stream.read(limit + 1)
    if not content:
        raise FileRequired
    if len(content) > limit:
        raise FileTooLarge(limit_mb=limit // MB, **_labels(kind))
    name = Path(filename or "upload").name[:150] or "upload"
    if kind == FILE:
        guessed, _ = mimetypes.guess_type(name)
        return content, guessed or "application/octet-stream", name
    found = sniff(kind, content[:16])
    if found is None:
        allowed = "PNG / JPG" if kind == IMAGE else "MP4"
        raise BadFileType(allowed=allowed, **_labels(kind))
    content_type, suffix = found
    if Path(name).suffix.lower() not in (suffix, ".jpeg" if suffix == ".jpg" else suffix):
        name = f"{Path(name).stem or 'upload'}{suffix}"
    return content, content_type, name


def var_dir() -> Path:
    return get_settings().var_dir


def save(tenant_id: int, content: bytes, content_type: str, file_name: str) -> Stored:
    folder = Path("materials") / str(tenant_id)
    (var_dir() / folder).mkdir(parents=True, exist_ok=True)
    relative = folder / f"{uuid.uuid4().hex}{Path(file_name).suffix.lower()[:8]}"
    (var_dir() / relative).write_bytes(content)
    return Stored(
        file_name=file_name,
        file_path=relative.as_posix(),
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def path_of(file_path: str) -> Path | None:
    """Where a stored file is, if it is still there (and inside the var directory)."""
    if not file_path:
        return None
    root = var_dir().resolve()
    path = (root / file_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def load(file_path: str) -> bytes:
    path = path_of(file_path)
    if path is None:
        raise FileNotFoundError(file_path)
    return path.read_bytes()
