"""The sandbox as benchmarks run it: callbacks sent in the background, no demo crowd.

uvicorn --factory bench.sandbox_app:app
"""

from __future__ import annotations

from fastapi import FastAPI

from siyu.config import get_settings
from siyu.sandbox.server import create_sandbox_app


def app() -> FastAPI:
    settings = get_settings()
    return create_sandbox_app(
        settings,
        deliver_in_background=True,
        public_url=settings.sandbox_url,
        demo_crowd=0,
    )
