"""Siyu (私域): open-source SCRM for private-domain customer operations on WeCom."""

__version__ = "0.1.0"
