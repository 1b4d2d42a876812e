"""The server's background worker for rounds: starts, continues and stops a round with the
same executors and round runner as ``meting run`` (one round at a time), in a thread of its
own so that the pages stay responsive. The executor is the ``dashboard_executor`` setting:
``local`` runs the tests in that thread (as ``meting run``), ``celery`` sends them to the
``meting worker`` processes and watches the store (as ``meting run --executor celery``);
stopping withdraws the run's token, so the workers skip the tests still queued."""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass

from meting.run.executor import AsyncioExecutor, Executor
from meting.run.round import run_round
from meting.settings import Settings
from meting.store import Store, StoreError
from meting.tester import routing_data
from meting.web.kept import Figures

log = logging.getLogger(__name__)


EXECUTORS = ("local", "celery")


class WorkerBusy(StoreError):
    """A round runs already; stop it first."""


class CannotRun(StoreError):
    """The configured executor cannot run a round here; the message says what to change."""


@dataclass(frozen=True)
class WorkerState:
    round_id: int | None  # the round running now
    problem: str | None  # why the last run stopped early, if it broke


class RoundWorker:
    def __init__(self, store: Store, settings: Settings, figures: Figures) -> None:
        self.store = store
        self.settings = settings
        self.figures = figures
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._round: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[object] | None = None
        self._problem: str | None = None

    @property
    def state(self) -> WorkerState:
        return WorkerState(self._round, self._problem)

    def start(self, set_name: str | None, label: str | None) -> int:
        """A new round of the set (None: every domain), planned and running; its id."""
        with self._lock:
            self._idle()
            self.check()
            round_id = self.store.create_round(set_name, self.settings.norm, label,
                                               executor=self.executor_name)
            self.store.plan_round(round_id)
            self._launch(round_id)
        return round_id

    def resume(self, round_id: int) -> None:
        with self._lock:
            self._idle()
            self.check()
            info = self.store.round(round_id)
            if info.state == "finished":
                raise StoreError(f"round {info.label} is finished")
            if info.planned == 0:
                self.store.plan_round(round_id)
            self._launch(round_id)

    @property
    def executor_name(self) -> str:
        return self.settings.dashboard_executor

    def check(self) -> None:
        """Refuse an executor that cannot run here (before a round is made)."""
        if self.executor_name not in EXECUTORS:
            raise CannotRun(f"unknown dashboard_executor {self.executor_name!r}: one of "
                            f"{', '.join(EXECUTORS)}")
        if self.executor_name == "celery":
            from meting.run.celery_app import DistributedError, check_shared

            try:
                check_shared(self.settings)
            except DistributedError as exc:
                raise CannotRun(str(exc)) from exc

    def _executor(self, settings: Settings, round_id: int) -> Executor:
        if self.executor_name == "celery":
            from meting.run.distributed import CeleryExecutor

            return CeleryExecutor(settings, self.store, round_id)
        return AsyncioExecutor(settings, routing_data(settings))

    def stop(self, wait: float = 30.0) -> None:
        """Stop the running round (it is marked interrupted and can be continued)."""
        thread, loop, task = self._thread, self._loop, self._task
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)
        if thread is not None:
            thread.join(wait)

    def _idle(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            raise WorkerBusy("a round is running already; stop it first")

    def _launch(self, round_id: int) -> None:
        self._round, self._problem = round_id, None
        self._thread = threading.Thread(target=self._run, args=(round_id,),
                                        name=f"meting-round-{round_id}", daemon=True)
        self._thread.start()

    def _run(self, round_id: int) -> None:
        settings = self.settings
        try:
            settings = _with_norm(settings, self.store.round(round_id).norm)
            executor = self._executor(settings, round_id)
            asyncio.run(self._main(round_id, executor))
            info = self.store.round(round_id)
            if info.state == "finished":
                self.figures.of(info)  # compute and keep its figures now, not on a page view
        except (asyncio.CancelledError, KeyboardInterrupt):
            self.store.set_round_state(round_id, "interrupted")
        except Exception as exc:  # the round stops; the monitor says why
            log.exception("round %s stopped", round_id)
            self._problem = f"{type(exc).__name__}: {exc}"
            if self.store.round(round_id).state == "running":
                self.store.set_round_state(round_id, "interrupted")
        finally:
            self._round, self._loop, self._task = None, None, None

    async def _main(self, round_id: int, executor: Executor) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        await run_round(self.store, round_id, executor)


def _with_norm(settings: Settings, norm: str) -> Settings:
    from dataclasses import replace

    return replace(settings, norm=norm)
