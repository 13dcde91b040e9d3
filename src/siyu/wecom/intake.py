"""Group commit for WeCom callbacks.

Each request verifies and decrypts its callback, then hands it to this process's intake and waits.
One writer thread takes whatever has arrived — one callback when traffic is light, hundreds under
load — stores it all in one transaction (one statement per table), commits, and only then answers
every waiting request. Nothing is answered before its row is committed; under load the cost of a
transaction is shared by the whole batch instead of paid by each callback.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass, field

from siyu.db import Database
from siyu.wecom.callbacks import Incoming, Received, store

log = logging.getLogger("siyu.wecom.intake")

MAX_BATCH = 500


@dataclass
class _Waiting:
    item: Incoming
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Received] = field(repr=False)


class CallbackIntake:
    def __init__(self, database: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.database = database
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, item: Incoming) -> Received:
        """Store ``item``; returns once the transaction holding it has committed."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(item, loop, loop.create_future())
        self._ensure_started()
        self._queue.put(waiting)
        return await waiting.future

    def _ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="siyu-callback-intake", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # finish this batch, then stop
                    break
                batch.append(more)
            self._write(batch)

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            with self.database.transaction() as session:
                results = store(session, [waiting.item for waiting in batch])
        except Exception as exc:
            log.exception("storing %d callbacks failed; WeCom will retry them", len(batch))
            for waiting in batch:
                waiting.loop.call_soon_threadsafe(_fail, waiting.future, exc)
            return
        for waiting, result in zip(batch, results, strict=True):
            waiting.loop.call_soon_threadsafe(_succeed, waiting.future, result)


def _succeed(future: asyncio.Future[Received], result: Received) -> None:
    if not future.done():
        future.set_result(result)


def _fail(future: asyncio.Future[Received], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)
