"""A batch on Ray: one actor per worker, each a `Worker` with its networks loaded once, asking Ray for `threads`
CPUs, or for one GPU where the cluster has them (and --device is not cpu); the driver hands each actor one video
at a time and records each outcome as it comes. On a cluster the inputs and OUTDIR must be at the same paths on
every node (a shared disk), and every node needs this poselift installed; `local` starts Ray on this machine."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from ..common import CommandError
from .manifest import Item
from .worker import Worker

CONNECT_SECONDS = 10  # a cluster's address must answer within this


def run_ray(items: list[Item], args: argparse.Namespace, outdir: Path, address: str, workers: int | None,
            threads: int, on_outcome: Callable[[Item, dict], None]) -> None:  # fmt: skip
    """Lift `items` on the Ray cluster at `address` ("auto": the one this machine belongs to, "local": a new one
    here; a Ray already started in this process is used as it is), `workers` actors (None: as many as its CPUs or
    GPUs hold), calling `on_outcome(item, outcome)` as each ends. Networks that cannot be loaded, no Ray or no
    cluster: one sentence (CommandError)."""
    try:
        import ray
        from ray.exceptions import RayActorError
    except ImportError as e:
        raise CommandError(f"poselift batch --ray needs Ray in this Python ({sys.executable}): install it with "
                           f"pip install 'poselift[ray]' ({e}).") from None  # fmt: skip
    started = not ray.is_initialized()
    if started:
        _check_answers(address)
        try:
            ray.init(address=None if address == "local" else address, include_dashboard=False,
                     logging_level=logging.WARNING)  # fmt: skip
        except (ConnectionError, RuntimeError, ValueError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0].rstrip(".")
            raise CommandError(f"poselift batch: cannot join the Ray cluster at {address} ({first}).") from None
    actors = []
    try:
        asks = _asks(ray, args, threads)
        lifting = ray.remote(**asks)(Worker)
        queue = list(reversed(items))
        pending = {}

        def hand_out(actor) -> None:
            item = queue.pop()
            pending[actor.lift.remote(item)] = (actor, item)

        for _ in range(min(workers or _room(ray, asks), len(items))):
            actors.append(lifting.remote(args, outdir, threads))
            hand_out(actors[-1])
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            actor, item = pending.pop(ref)
            try:
                outcome = ray.get(ref)
            except RayActorError as e:
                first = (str(e).strip().splitlines() or [type(e).__name__])[0].rstrip(".")
                outcome = {"status": "failed", "error": f"{item.video}: the worker lifting it died ({first}), so the "
                           "video was not read to its end.", "seconds": 0.0}  # fmt: skip
                actors.append(actor := lifting.remote(args, outdir, threads))
            if outcome["status"] == "fatal":
                raise CommandError(outcome["error"])
            on_outcome(item, outcome)
            if queue:
                hand_out(actor)
    finally:
        for actor in actors:
            ray.kill(actor)
        if started:
            ray.shutdown()


def _check_answers(address: str) -> None:
    """Refuses, in one sentence, a HOST:PORT address where nothing answers (Ray would retry for many minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if address in ("auto", "local") or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as e:
        raise CommandError(f"poselift batch: cannot join the Ray cluster at {address} (nothing answers there: "
                           f"{e.strerror or e}).") from None  # fmt: skip


def _asks(ray, args: argparse.Namespace, threads: int) -> dict:
    """What each actor asks Ray for: one GPU (and a CPU) where the cluster has GPUs and --device allows, else
    `threads` CPUs."""
    resources = ray.cluster_resources()
    if args.device == "cuda" and not resources.get("GPU"):
        raise CommandError("poselift batch: --device cuda was asked for, but the Ray cluster has no GPU.")
    if resources.get("GPU") and args.device != "cpu":
        return {"num_gpus": 1, "num_cpus": 1}
    largest = max((node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"]), default=0)
    if threads > largest:
        raise CommandError(f"poselift batch: --threads {threads} is more CPUs than any node of the Ray cluster has "
                           f"({largest:g}).")  # fmt: skip
    return {"num_cpus": threads}


def _room(ray, asks: dict) -> int:
    """How many actors asking `asks` the cluster holds at once."""
    resources = ray.cluster_resources()
    if "num_gpus" in asks:
        return max(1, int(resources["GPU"]))
    return max(1, int(resources.get("CPU", 1) // asks["num_cpus"]))
