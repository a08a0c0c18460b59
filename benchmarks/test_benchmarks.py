"""Smoke test of the benchmark runner: ``run.py --quick --runs 1`` writes (and prints) a table with every section.

Slow (about 50 s: real sleeps, worker processes, copier renders, plugin processes); run it with
``pytest benchmarks/test_benchmarks.py`` from the repository root.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().with_name("run.py")


@pytest.mark.slow
def test_quick_run_writes_every_section(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    completed = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--runs", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    table = out.read_text(encoding="utf-8")
    assert completed.stdout.strip() == table.strip()  # printed as well as written
    for expected in (
        "# Benchmarks: generated plugin vs. seed plugin",
        "--quick",
        "| CPU |",
        "| SDK | dify_plugin ",
        "## Summary of the targets (generated plugin)",
        "## 1. Time to result against job duration",
        "## 2. Delivery cost per image",
        "## 3. Render and packaging",
        "| 3 s | generated plugin (JobClient) |",
        "**Schedule sweep (prediction, not a measurement).**",
        "| 60 s | seed (sleep 5 s, then poll) |",
        "| 1328x1328 JPEG (",
        "| 2048x2048 PNG (",
        "Render: `copier copy --defaults` (CLI)",
        "scripts/package.py",
        "| Render ÷ the one-file template's render",
        "| Render ÷ the same-shape template's render",
        "## 4. Concurrent invocations in one plugin process",
        "## 4b. Concurrent invocations through one serverless process",
        "## 5. Start-up to the first heartbeat",
        "| 50 | ",
        "| seed plugin (benchmarks/seed_plugin.py, written out) | ",
    ):
        assert expected in table, f"missing from the table: {expected!r}"
    assert "failed" not in table, table
    # The generated plugin always delivers the served bytes, whatever the timings on this machine.
    assert table.count("identical (sha256)") == 2, table
    # Every concurrent invocation through the stdio protocol got exactly its own served bytes.
    for concurrency in (1, 20, 50):
        assert f"| {concurrency} of {concurrency} |" in table, table
    assert "| Every concurrent result byte-identical to what the fake served | yes | ✅ met |" in table, table
    # ... and through the serverless entry: 1 and 50 invocations (after the stdio rows of section 4).
    serverless = table.split("## 4b.", 1)[1].split("## 5.", 1)[0]
    for concurrency in (1, 50):
        assert f"| {concurrency} of {concurrency} |" in serverless, serverless
    assert "| Serverless: every result byte-identical to what the fake served | yes | ✅ met |" in table, table


def test_the_measuring_process_is_not_gevent_patched() -> None:
    """Importing dify_plugin gevent-patches its importer after requests and socketserver were loaded: the fake's
    server then handles one connection at a time and every timing of section 1 stretches (a 3 s job took 33 s)."""
    probe = "import sys, run; print('gevent' in sys.modules, 'dify_plugin' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", probe], cwd=RUN.parent, capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.split() == ["False", "False"], completed.stderr[-3000:]
