import os
import subprocess
import sys
import time

from botbench.interference import machine_busy_seconds
from botbench.procstat import descendants, usage
from botbench.stats import median, percentile

BURN_THEN_SLEEP = (
    "import time\n"
    "end = time.process_time() + 0.3\n"
    "while time.process_time() < end:\n"
    "    pass\n"
    "time.sleep(30)\n"
)


def test_usage_sees_cpu_burnt_by_a_child_process():
    child = subprocess.Popen([sys.executable, "-c", BURN_THEN_SLEEP])
    try:
        deadline = time.monotonic() + 10
        seen = usage(child.pid)
        while seen.cpu_seconds < 0.3 and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = usage(child.pid)
        assert 0.3 <= seen.cpu_seconds < 2.0
        assert seen.peak_rss_bytes > 1_000_000
    finally:
        child.kill()
        child.wait()


def test_descendants_include_the_process_itself_and_its_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert child.pid in descendants(os.getpid())
        assert descendants(child.pid)[0] == child.pid
    finally:
        child.kill()
        child.wait()


def test_usage_of_a_missing_process_is_zero():
    assert usage(2**22 + 12345).cpu_seconds == 0.0


def test_machine_busy_time_only_grows():
    first = machine_busy_seconds()
    end = time.process_time() + 0.05
    while time.process_time() < end:
        pass
    assert machine_busy_seconds() >= first


def test_percentiles_use_nearest_rank():
    values = [float(v) for v in range(1, 1001)]
    assert percentile(values, 50) == 500
    assert percentile(values, 99) == 990
    assert percentile(values, 99.9) == 999
    assert percentile([], 99) == 0.0
    assert median([3.0, 1.0, 2.0]) == 2.0
