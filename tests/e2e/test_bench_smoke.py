"""The benchmark harness works (quick mode). No test asserts on timings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

REPO = Path(__file__).resolve().parents[2]


def test_quick_benchmark_runs_and_writes_results(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(output.read_text())
    assert results["mode"] == "quick"
    measures = [row["measure"] for row in results["rows"]]
    assert any(m.startswith("planning") for m in measures)
    assert any(m.startswith("dispatch, logged") for m in measures)
    assert [m for m in measures if m.startswith("throttled")] == [
        "throttled at 10/s",
        "throttled at 100/s",
        "throttled at 1000/s",
    ]
    assert [m for m in measures if m.startswith("faults")] == [
        "faults: 200 sent, 25 % transient (s)",
        "faults: 200 sent, 5 % lost (s)",
    ]
    assert any(m.startswith("peak RSS") for m in measures)
    assert any(m.startswith("report over") for m in measures)
    assert "receipts SQLite (callbacks/s)" in measures
    assert "replies SQLite, vs 20,000 (ms/reply)" in measures
    storm = {row["measure"]: row for row in results["rows"]}
    assert storm["receipts SQLite regressions+errors"]["value"] == 0, "every message ends right"
    assert all(row["value"] >= 0 and row["baseline_value"] >= 0 for row in results["rows"])
    assert "planning (messages/s)" in done.stdout
