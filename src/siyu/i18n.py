"""Languages the product speaks: zh-CN by default, English available."""

from __future__ import annotations

from typing import Literal

Locale = Literal["zh-CN", "en"]
DEFAULT_LOCALE: Locale = "zh-CN"
LOCALES: tuple[Locale, ...] = ("zh-CN", "en")


def negotiate(accept_language: str | None) -> Locale:
    """Pick zh-CN or en from an Accept-Language header, by its quality values."""
    if not accept_language:
        return DEFAULT_LOCALE
    best: tuple[float, Locale] | None = None
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        locale: Locale | None = {"zh": "zh-CN", "en": "en"}.get(primary)  # type: ignore[assignment]
        if locale and (best is None or quality > best[0]):
            best = (quality, locale)
    return best[1] if best else DEFAULT_LOCALE


def pick(texts: dict[Locale, str], locale: Locale) -> str:
    return texts.get(locale) or texts[DEFAULT_LOCALE]
