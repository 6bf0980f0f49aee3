"""A batch on this machine: worker processes (spawned, each with its `Worker` and so its networks loaded once),
handed one video at a time so the longest videos do not queue behind one worker. A worker that dies (a crash in
a decoder) fails its video and is replaced; Ctrl-C or SIGTERM ends every worker, each removing any file it was
writing (`atomic.write_together`)."""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ..common import CommandError
from .manifest import Item

STOP_SECONDS = 10  # a worker asked to stop is killed after this long
_stopping: list[int] = []  # in a worker process, the signal that stopped it


@dataclass
class _Slot:
    process: multiprocessing.Process
    conn: Connection
    item: Item | None = None


def run_local(items: list[Item], args: argparse.Namespace, outdir: Path, workers: int, threads: int,
              gpus: int, on_outcome: Callable[[Item, dict], None]) -> None:  # fmt: skip
    """Lift `items` on `workers` processes of `threads` CPU threads each (worker i on GPU i % `gpus` when
    `gpus`), calling `on_outcome(item, outcome)` in this process as each ends. Networks that cannot be loaded:
    one sentence (CommandError)."""
    context = multiprocessing.get_context("spawn")  # torch and OpenCV are not safe to fork once they run
    queue = list(reversed(items))
    slots: list[_Slot] = []

    def start(index: int) -> None:
        ours, theirs = context.Pipe()
        gpu = None if not gpus else index % gpus
        process = context.Process(target=serve, args=(theirs, args, outdir, threads, gpu), daemon=True)
        process.start()
        theirs.close()
        slots.append(_Slot(process, ours))
        hand_out(slots[-1])

    def hand_out(slot: _Slot) -> None:
        slot.item = queue.pop() if queue else None
        slot.conn.send(slot.item)

    try:
        for index in range(min(workers, len(items))):
            start(index)
        while any(slot.item is not None for slot in slots):
            busy = [slot for slot in slots if slot.item is not None]
            ready = wait([slot.conn for slot in busy] + [slot.process.sentinel for slot in busy])
            for slot in busy:
                outcome = _outcome(slot, ready)
                if outcome is None:
                    continue
                if outcome["status"] == "fatal":
                    raise CommandError(outcome["error"])
                on_outcome(slot.item, outcome)
                if slot.process.is_alive():
                    hand_out(slot)
                else:
                    slot.item = None
                    slots.remove(slot)
                    if queue:
                        start(len(slots))
    finally:
        _stop(slots)


def _outcome(slot: _Slot, ready: list) -> dict | None:
    """The outcome `slot`'s worker sent, one saying it died, or None while it works."""
    if slot.conn in ready:
        try:
            return slot.conn.recv()
        except EOFError:
            pass
    elif slot.process.sentinel not in ready:
        return None
    slot.process.join()
    return {"status": "failed", "error": f"{slot.item.video}: the worker lifting it died (exit status "
            f"{slot.process.exitcode}), so the video was not read to its end.", "seconds": 0.0}  # fmt: skip


def _stop(slots: list[_Slot]) -> None:
    """Ask every worker to stop (None, then SIGTERM for one still busy), and wait for them."""
    for slot in slots:
        if slot.process.is_alive() and slot.item is not None:
            slot.process.terminate()
        elif slot.process.is_alive():
            try:
                slot.conn.send(None)
            except OSError:
                slot.process.terminate()
    for slot in slots:
        slot.process.join(STOP_SECONDS)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        slot.conn.close()


def serve(conn: Connection, args: argparse.Namespace, outdir: Path, threads: int, gpu: int | None) -> None:
    """A worker process: lift the items `conn` brings until it brings None. Ctrl-C or SIGTERM stops it where it
    is, once (the file it was writing removed), whichever comes first."""
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, _stop_here)
    if gpu is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpu)
    from ..threads import passive_openmp_waits

    passive_openmp_waits()
    from .worker import Worker

    try:
        worker = Worker(args, outdir, threads)
        while (item := conn.recv()) is not None:
            conn.send(worker.lift(item))
    except (EOFError, BrokenPipeError):
        pass


def _stop_here(signum: int, frame) -> None:
    """Leave the work now, quietly, and pay no heed to a second signal (Ctrl-C, then the driver's SIGTERM)."""
    if not _stopping:
        _stopping.append(signum)
        raise SystemExit(128 + signum)
