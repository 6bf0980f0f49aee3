"""What makes a batch item's outputs what they are: its input's bytes (sha256) and the settings of the motion,
the options `poselift video` takes and the Blender stage's. Where the work runs (workers, threads, Ray, --device,
--blender) and how progress shows are not settings: the same video and settings give the same files anywhere."""

from __future__ import annotations

import argparse
from pathlib import Path

from ...formats.files import sha256_of_file

NOT_SETTINGS = {"command", "run", "inputs", "output", "workers", "threads", "ray", "progress", "device", "blender"}


def settings_of(args: argparse.Namespace) -> dict:
    """The batch's settings as JSON values: every option but NOT_SETTINGS; a file (--prior, weights) as its path
    and sha256, so a changed file counts as a changed setting."""
    settings = {}
    for key, value in sorted(vars(args).items()):
        if key in NOT_SETTINGS:
            continue
        if isinstance(value, Path):
            value = {"path": str(value.absolute()), "sha256": sha256_of(value)}
        elif isinstance(value, tuple):
            value = list(value)
        settings[key] = value
    return settings


def sha256_of(path: Path) -> str | None:
    """The file's sha256 in hex; None when it cannot be read (the batch then says why)."""
    try:
        return sha256_of_file(path)
    except OSError:
        return None
