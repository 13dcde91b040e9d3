"""QR images decode to what they encode, with and without a logo, at every named size."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from siyu import qr

URL = "https://work.weixin.qq.com/ca/cawcde0123456789abcdef"


def _decode_png(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        found = zxingcpp.read_barcodes(image.convert("RGB"))
    assert found, "no QR code found in the image"
    return str(found[0].text)


def _logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 200), (7, 193, 96)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("size", ["screen", "web", "print"])
def test_png_decodes_to_the_url(size: str) -> None:
    image = qr.render(URL, "png", size)
    assert image.media_type == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert abs(image.pixels - qr.SIZES[size]) < qr.SIZES[size] * 0.2
    assert _decode_png(image.content) == URL


def test_a_logo_in_the_middle_still_decodes() -> None:
    image = qr.render(URL, "png", 600, _logo())
    with Image.open(io.BytesIO(image.content)) as opened:
        middle = opened.convert("RGB").getpixel((image.pixels // 2, image.pixels // 2))
    assert middle == (7, 193, 96)
    assert _decode_png(image.content) == URL


def test_svg_and_poster() -> None:
    svg = qr.render(URL, "svg", "web", _logo()).content.decode()
    assert svg.startswith("<svg")
    assert "data:image/png;base64," in svg
    poster = qr.poster(URL, title="扫码领¥1烤串", subtitle="<店长推荐>", footer="长按识别")
    text = poster.content.decode()
    assert "扫码领¥1烤串" in text
    assert "&lt;店长推荐&gt;" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "gif"}, "format"),
        ({"size": 50}, "between"),
        ({"size": "huge"}, "one of"),
        ({"logo": b"not an image"}, "not a PNG"),
    ],
)
def test_bad_requests_say_what_is_wrong(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(qr.BadQrRequest, match=message):
        qr.render(URL, **kwargs)  # type: ignore[arg-type]
