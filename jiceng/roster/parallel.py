"""Reading and checking a table in a second process while this one writes to the database.

Reading, parsing and checking a member row, and encrypting and keying its identity number, cost
the importer more than the database does. With two cores they run in a child process forked for
the table (for the first members file, before the organizations are written: see ``Reader``), while
the parent (the one holding the import's transaction) writes the previous batch:

    child:   read → parse and check → prepare (digest, cipher, …) → send batch k+1
    parent:                 receive batch k → its problems into the report → look up, write

A thread of the parent receives the batches as they come (up to ``AHEAD`` of them), so that the
child reads on while the parent is busy elsewhere, e.g. writing the organizations.

The child never touches the database. It sends each batch with the problems found while reading it,
so the parent reports them in the same order, and stops writing at the same batch, as a run in one
process would; all-or-nothing is the parent's transaction, as before. A file the child cannot read
(``SourceError``) reaches the parent after the batches read before it, as it would in one process.
A failure of the child is raised in the parent (and the transaction rolled back); a failure of the
parent ends the child. So does the parent's death, however sudden (a worker killed by the OOM killer
or ``kill -9``): the child inherited the parent's database socket, and while it lived the server
kept the dead import's transaction open with its locks. On Linux the kernel kills the child
(``prctl(PR_SET_PDEATHSIG)``); everywhere, a thread of the child checks every ``WATCH_SECONDS``
that its parent is still there and ends it otherwise.

The child is forked, so it starts with the parent's state (settings, translations, the handler's
lookup tables) and needs no set-up; pages the child only reads stay shared with the parent.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from .readers import Source, SourceError

# A table smaller than this (bytes) is read in the importing process: forking costs more than it saves.
MIN_BYTES = 2_000_000
# Batches received ahead of use: the child goes on reading while the importing process is busy
# elsewhere (writing the organizations), instead of waiting on a full pipe after its first batch.
AHEAD = 24
# How often the child checks that its parent is alive (where the kernel cannot be asked to tell it).
WATCH_SECONDS = 1.0
PR_SET_PDEATHSIG = 1


def available_here() -> bool:
    """Two cores, and processes can fork."""
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def available(source: Source) -> bool:
    """Whether a child may read this source: two cores, fork, and a source big enough to be worth it."""
    if not available_here():
        return False
    try:
        return source.path.stat().st_size >= MIN_BYTES
    except OSError:
        return False


class Reader:
    """A child reading ``source`` with ``read_batch``: forked by ``start`` (which may come well before
    the batches are wanted, e.g. before an earlier table is written, so that the child inherits less
    of this process), read by ``batches``, ended by ``close`` whatever happened.

    ``read_batch(rows)`` reads rows from the iterator until it has a batch and returns (rows read,
    items), or None at the end. ``problems`` is the list the child's checks append their problems to;
    each batch carries (and empties) it. Items, problems and the state must pickle.
    """

    def __init__(
        self,
        source: Source,
        read_batch: Callable[[Iterator[tuple[int, list[str]]]], tuple[int, list[Any]] | None],
        problems: list[tuple],
        state: Callable[[], Any],
    ) -> None:
        self.source = source
        self._args = (source, read_batch, problems, state)
        self._child: Any = None
        self._receive: Any = None
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._pump: threading.Thread | None = None

    def start(self) -> Reader:
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        # prctl's signal comes when the *thread* that forked ends: only ask for it from the main thread.
        kernel_watch = threading.current_thread() is threading.main_thread()
        child = ctx.Process(target=_child, args=(send, os.getpid(), kernel_watch, *self._args), daemon=True)
        # The collector of the child would otherwise walk (and so write to, and so copy) every object
        # inherited from the parent: frozen, they stay shared pages.
        gc.freeze()
        try:
            child.start()
        finally:
            gc.unfreeze()
        send.close()  # the parent's copy: the child's end of the pipe is the only one left
        self._child, self._receive = child, receive
        self._args = None  # the child has its own copies
        # Received by a thread (the read waits without the GIL), unpickled when used.
        self._pump = threading.Thread(target=self._receive_ahead, name="import-reader", daemon=True)
        self._pump.start()
        return self

    def _receive_ahead(self) -> None:
        """Move the child's messages from the pipe to the queue; None when the pipe is closed."""
        receive, stop = self._receive, self._stop
        while True:
            try:
                data: bytes | None = receive.recv_bytes()
            except (EOFError, OSError):
                data = None
            while True:
                try:
                    self._queue.put(data, timeout=0.2)
                    break
                except queue.Full:
                    if stop.is_set():
                        return
            if data is None:
                return

    def batches(self) -> Iterator[tuple[int, float, list[Any], list[tuple], Any]]:
        """Yield (rows read, fraction, items, problems, None) per batch, and at the end (0, 1.0, [],
        problems, ``state()`` as the child has it). The child is ended when this ends, however."""
        if self._child is None:
            self.start()
        try:
            while True:
                data = self._queue.get()
                if data is None:
                    raise RuntimeError("the import's reading process ended without a word")
                message = pickle.loads(data)  # noqa: S301 (our own child, through a pipe)
                kind = message[0]
                if kind == "batch":
                    yield message[1], message[2], message[3], message[4], None
                elif kind == "source_error":
                    _kind, code, text, row, pending = message
                    yield 0, 1.0, [], pending, None
                    raise SourceError(code, text, row=row)
                elif kind == "failed":
                    raise RuntimeError("the import's reading process failed:\n" + message[1])
                else:  # "done"
                    yield 0, 1.0, [], message[1], message[2]
                    return
        finally:
            self.close()

    def close(self) -> None:
        """End the child (if it still runs) and wait for it. Safe to call more than once."""
        child, self._child = self._child, None
        if child is None:
            return
        self._stop.set()
        if child.is_alive():
            child.terminate()
        child.join()  # its end of the pipe is closed now: the thread reads the end of it and stops
        if self._pump is not None:
            self._pump.join()
        self._receive.close()


def batches(
    source: Source,
    read_batch: Callable[[Iterator[tuple[int, list[str]]]], tuple[int, list[Any]] | None],
    problems: list[tuple],
    state: Callable[[], Any],
) -> Iterator[tuple[int, float, list[Any], list[tuple], Any]]:
    """``Reader(...).batches()``: fork now, read it all."""
    return Reader(source, read_batch, problems, state).batches()


def die_with_parent(parent: int, *, kernel: bool = True) -> None:
    """End this (forked) process when ``parent`` is gone: by the kernel's signal on Linux, and by a
    thread polling the parent's pid everywhere (the signal alone misses a parent that died before
    it was set up)."""
    if kernel and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(WATCH_SECONDS)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="import-reader-watch", daemon=True).start()


def _child(
    send: Any,
    parent: int,
    kernel_watch: bool,
    source: Source,
    read_batch: Callable,
    problems: list[tuple],
    state: Callable,
) -> None:
    die_with_parent(parent, kernel=kernel_watch)

    def post(message: tuple) -> None:
        send.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    try:
        rows = source.rows()
        while True:
            got = read_batch(rows)
            if got is None:
                break
            n, items = got
            post(("batch", n, source.fraction(), items, problems[:]))
            problems.clear()
        post(("done", problems[:], state()))
    except SourceError as e:
        post(("source_error", e.code, e.message, e.row, problems[:]))
    except BaseException:  # noqa: BLE001 (whatever it is, the parent must hear of it)
        post(("failed", traceback.format_exc()))
    finally:
        send.close()
