"""One pass at a time per data directory.

Two passes over the same mailbox at once (a cron job overlapping the worker, an operator running
`poll` by hand) would both see a message as new and record it twice, and both would flush the
outbox; that is where document-intake tools end up with duplicates. Every command that reads
the mailbox or sends mail holds this lock: an exclusive flock(2) on DATA/intake.lock, released by
the kernel when the process ends, so a crash never leaves a stale lock behind.
"""
from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .store.archive import private_dir

LOCK_NAME = "intake.lock"
WORKER_LOCK_NAME = "worker.lock"
POLL_SECONDS = 0.1


class PassLocked(Exception):
    """Another pass holds the lock of this data directory."""


class WorkerRunning(Exception):
    """A worker (`intake-bot run`) already serves this data directory."""


@contextmanager
def worker_lock(data_dir: str | os.PathLike) -> Iterator[None]:
    """Held for the life of `intake-bot run`: a second worker on the same data directory
    refuses to start (two schedulers would double every reminder slot's work)."""
    try:
        with _flock(Path(data_dir), WORKER_LOCK_NAME, 0.0):
            yield
    except PassLocked as exc:
        raise WorkerRunning(str(exc).replace("another intake-bot pass is running",
                                             "another intake-bot worker is running")) from None


@contextmanager
def pass_lock(data_dir: str | os.PathLike, wait: float = 0.0) -> Iterator[None]:
    """Hold the data directory's lock for the block; wait up to `wait` seconds for it, then
    raise PassLocked. The holder's pid is written in the file, to name it in the message."""
    with _flock(Path(data_dir), LOCK_NAME, wait):
        yield


@contextmanager
def _flock(data_dir: Path, name: str, wait: float) -> Iterator[None]:
    path = private_dir(data_dir) / name
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PassLocked(_explain(path, fd, wait)) from None
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _explain(path: Path, fd: int, wait: float) -> str:
    holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    who = f" (process {holder})" if holder.isdigit() else ""
    waited = f" after waiting {wait:g} s" if wait else ""
    return (f"another intake-bot pass is running on this data directory{who}; lock {path} is "
            f"held{waited}. Try again when it has finished.")
