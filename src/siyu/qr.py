"""QR codes as PNG and SVG, for print and for screens, with an optional logo, and posters.

Every code Siyu hands out (channel codes, group codes, landing pages) goes through :func:`render`.
Error correction is H (30 %) whenever a logo covers the middle, so the logo never makes a code
unreadable; without one it is M, which keeps the modules larger at the same size.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

import segno
import zxingcpp
from PIL import Image, UnidentifiedImageError

Format = Literal["png", "svg"]
FORMATS: tuple[Format, ...] = ("png", "svg")
# Named sizes in pixels: a phone screen, a web page, an A6 card and an A4 poster at 300 dpi.
SIZES = {"screen": 258, "web": 430, "print": 1280, "poster": 2480}
MIN_PIXELS, MAX_PIXELS = 120, 4000
MAX_LOGO_BYTES = 512 * 1024
LOGO_SHARE = 0.22  # of the code's width: well inside what level H can lose
BORDER = 4  # quiet-zone modules, as the standard asks


class BadQrRequest(ValueError):
    """A size, format or logo the renderer cannot use; the message says which."""


@dataclass(frozen=True)
class QrImage:
    content: bytes
    media_type: str
    pixels: int


def pixels_for(size: str | int) -> int:
    if isinstance(size, str) and not size.isdigit():
        if size not in SIZES:
            raise BadQrRequest(
                f"size must be one of {', '.join(SIZES)} or {MIN_PIXELS}–{MAX_PIXELS}"
            )
        return SIZES[size]
    pixels = int(size)
    if not MIN_PIXELS <= pixels <= MAX_PIXELS:
        raise BadQrRequest(f"size must be between {MIN_PIXELS} and {MAX_PIXELS} pixels")
    return pixels


def decode(image: bytes) -> str | None:
    """The text of the first QR code in a PNG or JPEG, or None. WeCom's ``qr_code`` is the
    address of an image; reading the link inside lets Siyu draw the code at any size."""
    if len(image) > 8 * 1024 * 1024:
        return None
    try:
        with Image.open(io.BytesIO(image)) as opened:
            found = zxingcpp.read_barcodes(opened.convert("RGB"))
    except (UnidentifiedImageError, OSError):
        return None
    for result in found:
        if result.format == zxingcpp.BarcodeFormat.QRCode and result.text:
            return str(result.text)
    return None


def _logo(data: bytes) -> Image.Image:
    if len(data) > MAX_LOGO_BYTES:
        raise BadQrRequest(f"the logo is larger than {MAX_LOGO_BYTES // 1024} KB")
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > 4096 * 4096:
                raise BadQrRequest("the logo has too many pixels")
            return opened.convert("RGBA")
    except (UnidentifiedImageError, OSError):
        raise BadQrRequest("the logo is not a PNG or JPEG image") from None


def _code(content: str, with_logo: bool) -> segno.QRCode:
    if not content:
        raise BadQrRequest("nothing to encode")
    return segno.make(content, error="h" if with_logo else "m", micro=False, boost_error=False)


def _scale(code: segno.QRCode, pixels: int) -> int:
    modules = int(code.symbol_size(scale=1, border=BORDER)[0])
    return max(1, pixels // modules)


def render(
    content: str, fmt: Format = "png", size: str | int = "web", logo: bytes | None = None
) -> QrImage:
    """``content`` (a URL) as a QR image about ``size`` pixels wide, the logo in the middle."""
    if fmt not in FORMATS:
        raise BadQrRequest("format must be png or svg")
    pixels = pixels_for(size)
    code = _code(content, logo is not None)
    scale = _scale(code, pixels)
    width = int(code.symbol_size(scale=scale, border=BORDER)[0])
    if fmt == "svg":
        out = io.BytesIO()
        code.save(out, kind="svg", scale=scale, border=BORDER, xmldecl=False, dark="#000")
        svg = out.getvalue().decode()
        if logo is not None:
            svg = _svg_with_logo(svg, _logo(logo), width)
        return QrImage(svg.encode(), "image/svg+xml", width)
    out = io.BytesIO()
    code.save(out, kind="png", scale=scale, border=BORDER)
    if logo is None:
        return QrImage(out.getvalue(), "image/png", width)
    with Image.open(io.BytesIO(out.getvalue())) as plain:
        image = plain.convert("RGBA")
    mark = _logo(logo)
    side = int(width * LOGO_SHARE)
    mark.thumbnail((side, side))
    pad = max(2, side // 12)
    box = Image.new("RGBA", (mark.width + 2 * pad, mark.height + 2 * pad), "white")
    box.alpha_composite(mark, (pad, pad))
    image.alpha_composite(box, ((width - box.width) // 2, (width - box.height) // 2))
    result = io.BytesIO()
    image.convert("RGB").save(result, format="PNG", optimize=True)
    return QrImage(result.getvalue(), "image/png", width)


def _svg_with_logo(svg: str, mark: Image.Image, width: int) -> str:
    side = int(width * LOGO_SHARE)
    mark.thumbnail((side, side))
    png = io.BytesIO()
    mark.save(png, format="PNG")
    href = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    x, y = (width - mark.width) // 2, (width - mark.height) // 2
    pad = max(2, side // 12)
    overlay = (
        f'<rect x="{x - pad}" y="{y - pad}" width="{mark.width + 2 * pad}" '
        f'height="{mark.height + 2 * pad}" fill="#fff"/>'
        f'<image x="{x}" y="{y}" width="{mark.width}" height="{mark.height}" href="{href}"/>'
    )
    return svg.replace("</svg>", overlay + "</svg>")


def poster(
    content: str,
    *,
    title: str,
    subtitle: str = "",
    footer: str = "",
    logo: bytes | None = None,
    accent: str = "#07c160",
) -> QrImage:
    """A printable SVG poster (A-series proportions): title, the code, a line of help below.
    SVG keeps Chinese text sharp at any print size and needs no font files on the server."""
    if not accent.startswith("#") or len(accent) not in (4, 7):
        raise BadQrRequest("accent must be a colour like #07c160")
    width, height = 1240, 1754
    code = render(content, "svg", 860, logo)
    inner = code.content.decode()
    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="PingFang SC, Microsoft YaHei, '
        f'Noto Sans CJK SC, sans-serif">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        f'<rect width="{width}" height="300" fill="{escape(accent)}"/>',
        f'<text x="{width // 2}" y="175" font-size="88" font-weight="700" fill="#fff" '
        f'text-anchor="middle">{escape(title)}</text>',
    ]
    if subtitle:
        lines.append(
            f'<text x="{width // 2}" y="420" font-size="52" fill="#333" '
            f'text-anchor="middle">{escape(subtitle)}</text>'
        )
    offset = (width - code.pixels) // 2
    lines.append(f'<g transform="translate({offset},500)">{inner}</g>')
    if footer:
        lines.append(
            f'<text x="{width // 2}" y="{500 + code.pixels + 110}" font-size="44" fill="#666" '
            f'text-anchor="middle">{escape(footer)}</text>'
        )
    lines.append("</svg>")
    return QrImage("".join(lines).encode(), "image/svg+xml", width)
