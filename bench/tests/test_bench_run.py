"""The one command, end to end, on the cheapest target with short durations."""

import json
import subprocess
import sys

from botbench.paths import BENCH_DIR


def test_run_py_measures_and_writes_json(tmp_path):
    completed = subprocess.run(
        [
            sys.executable, str(BENCH_DIR / "run.py"), "--targets", "raw",
            "--scenarios", "text,batch-1000", "--warmup", "1", "--duration", "1",
            "--singles", "2", "--pool-scale", "0.05", "--out", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "### text: 1 text message per POST" in completed.stdout
    assert "| raw |" in completed.stdout
    document = json.loads((tmp_path / "latest.json").read_text())
    text = document["scenarios"]["text"]["results"]["raw"]
    assert text["status"] == "ok" and text["non200"] == 0 and text["requests_per_s"] > 100
    assert text["cpu_us_per_request"] > 0 and text["peak_rss_mb"] > 10
    batch = document["scenarios"]["batch-1000"]["results"]["raw"]
    assert len(batch["time_to_200_ms"]) == 2 and batch["non200"] == 0
    assert document["botkit"] == {"runnable": False, "reason": "not selected"}
    assert document["machine"]["nproc"] >= 2
    assert not (tmp_path / "pools").exists(), "signed pools are removed after the run"


def test_run_py_rejects_unknown_names(tmp_path):
    completed = subprocess.run(
        [sys.executable, str(BENCH_DIR / "run.py"), "--scenarios", "nope", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 2
    assert "unknown scenario 'nope'" in completed.stderr


def test_botkit_target_acknowledges_and_dispatches_every_event(tmp_path):
    """The settings file, the no-op plugin and its dispatch log, through `botkit serve`."""
    completed = subprocess.run(
        [
            sys.executable, str(BENCH_DIR / "run.py"), "--targets", "botkit",
            "--scenarios", "batch-1000", "--singles", "2", "--pool-scale", "0.01",
            "--out", str(tmp_path),
        ],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    document = json.loads((tmp_path / "latest.json").read_text())
    assert document["botkit"]["runnable"], document["botkit"]["reason"]
    batch = document["scenarios"]["batch-1000"]["results"]["botkit"]
    assert batch["status"] == "ok" and batch["non200"] == 0, batch
    assert len(batch["dispatched_ms"]) == 2, batch["note"]
    assert all(done >= 0 for done in batch["dispatched_ms"])
