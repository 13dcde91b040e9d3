"""WeCom's media calls: temporary media (``media/upload``), Moments attachments
(``media/upload_attachment``) and permanent images (``media/uploadimg``). Mixed into
:class:`siyu.wecom.client.WeComClient`.

Uploading twice only makes a second media id, so these calls may be retried."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from siyu.wecom import schemas

M = TypeVar("M", bound=BaseModel)
MediaType = Literal["image", "voice", "video", "file"]
AttachmentType = Literal["image", "video"]
# upload_attachment's attachment_type: 1 is Moments (客户朋友圈), 2 the product album.
MOMENTS = 1


class MediaCalls:
    def upload(
        self, path: str, model: type[M], params: dict[str, Any], file: tuple[str, bytes, str]
    ) -> M:
        raise NotImplementedError

    def upload_media(
        self, kind: MediaType, filename: str, content: bytes, content_type: str
    ) -> schemas.MediaUploaded:
        """A temporary media id (three days) for messages: image, voice, video or file."""
        return self.upload(
            "/cgi-bin/media/upload",
            schemas.MediaUploaded,
            {"type": kind},
            (filename, content, content_type),
        )

    def upload_attachment(
        self, kind: AttachmentType, filename: str, content: bytes, content_type: str
    ) -> schemas.MediaUploaded:
        """A Moments attachment's media id (three days); ``add_moment_task`` takes no other."""
        return self.upload(
            "/cgi-bin/media/upload_attachment",
            schemas.MediaUploaded,
            {"media_type": kind, "attachment_type": MOMENTS},
            (filename, content, content_type),
        )

    def upload_image(self, filename: str, content: bytes, content_type: str) -> str:
        """A permanent URL for an image (≤2 MB), e.g. a link card's cover."""
        return self.upload(
            "/cgi-bin/media/uploadimg",
            schemas.ImageUploaded,
            {},
            (filename, content, content_type),
        ).url
