"""Progress reports: JSON lines a worker's parent can read, or a bar for people."""

import io
import json

from poselift.core.cli.progress import Progress, end_bar_line


def test_json_lines_report_progress_then_the_output():
    out = io.StringIO()
    progress = Progress(4, "images", mode="json", stream=out)
    for done in range(1, 5):
        progress.update(done, f"image {done}")
    progress.finish("/tmp/x.npz")
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["progress"] * 4 + ["done"]
    assert events[-2]["done"] == events[-2]["total"] == 4 and events[-2]["eta_s"] == 0
    assert events[-1]["output"] == "/tmp/x.npz"


def test_an_error_is_one_json_line_and_a_bar_ends_its_line():
    out = io.StringIO()
    Progress(2, mode="json", stream=out).error("clip.mp4: the file is truncated.")
    assert json.loads(out.getvalue()) == {"event": "error", "message": "clip.mp4: the file is truncated."}
    bar = io.StringIO()
    progress = Progress(10, "frames", mode="bar", stream=bar)
    progress.update(5)
    progress.finish("out.npz")
    assert "5/10 frames" in bar.getvalue() and bar.getvalue().endswith("\n")


def test_whatever_is_printed_after_a_bar_starts_on_a_line_of_its_own():
    terminal = io.StringIO()
    Progress(10, "frames", mode="bar", stream=terminal).update(3)
    Progress(0, "frames", mode="bar", stream=terminal).error("clip.mp4: damaged.")  # another job's report
    assert terminal.getvalue().endswith("\n") and terminal.getvalue().count("\n") == 1
    end_bar_line()  # no bar open any more: nothing to end
    assert terminal.getvalue().count("\n") == 1


def test_a_total_nobody_knows_shows_the_count_without_a_bar_or_a_time_left():
    terminal = io.StringIO()
    progress = Progress(0, "frames", mode="bar", stream=terminal)
    progress.update(64)
    progress.finish("out.npz")
    assert terminal.getvalue().startswith("\r64 frames (") and "[" not in terminal.getvalue()
    assert "left" not in terminal.getvalue()
