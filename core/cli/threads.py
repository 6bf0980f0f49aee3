"""How torch's CPU threads wait for work: set once, before torch is first imported in a process."""

from __future__ import annotations

import os


def passive_openmp_waits() -> None:
    """Let torch's OpenMP threads sleep as soon as they wait, instead of spinning first (unless OMP_WAIT_POLICY
    is set already). A spinning thread holds a core the thread it waits for may need: on a machine where anything
    else runs, every operator's barrier then waits for the scheduler, and a video takes far longer
    (`python bench/threads.py` times both policies, quiet and beside a busy process). OpenMP reads the policy
    once, when torch loads it: later calls change nothing."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
