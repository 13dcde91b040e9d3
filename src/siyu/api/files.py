"""Files in and out of the API: uploads kept under the var directory, downloads written to a
temporary file that is removed once sent."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from siyu.config import get_settings
from siyu.sheets import importing

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def save_upload(file: UploadFile, tenant_id: int) -> tuple[str, Path]:
    """The name the user gave the file, and where it is now kept."""
    filename = Path(file.filename or "upload").name or "upload"
    return filename, importing.store_upload(file.file, filename, get_settings().var_dir, tenant_id)


def temp_path(suffix: str) -> Path:
    handle = tempfile.NamedTemporaryFile(prefix="siyu-", suffix=suffix, delete=False)  # noqa: SIM115
    handle.close()
    return Path(handle.name)


def download(path: Path, name: str, media_type: str = XLSX) -> FileResponse:
    """Send a temporary file as an attachment, removing it afterwards."""
    return FileResponse(
        path,
        filename=name,
        media_type=media_type,
        background=BackgroundTask(path.unlink, missing_ok=True),
    )
