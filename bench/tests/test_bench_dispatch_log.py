"""The no-op plugin's dispatch log (writer) and the harness's reader agree on the format."""

import importlib.util
import threading
import time

from botbench.dispatch_watch import dispatched_total, read_runs, time_reached, wait_until_dispatched
from botbench.paths import NOOP_PLUGIN_DIR


def _writer_module():
    """Loaded by path: the plugin package itself imports botkit, the log module does not."""
    path = NOOP_PLUGIN_DIR / "botkit_bench_noop" / "dispatch_log.py"
    spec = importlib.util.spec_from_file_location("bench_noop_dispatch_log", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_buffered_lines_add_up_to_every_recorded_event(tmp_path):
    log_path = tmp_path / "dispatch.log"
    log = _writer_module().DispatchLog(log_path, flush_interval=0.01, max_buffered=100)

    def record_many() -> None:
        for _ in range(250):
            log.record()

    threads = [threading.Thread(target=record_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wait_until_dispatched(log_path, 1000, timeout_s=5) is not None
    log.close()
    runs = read_runs(log_path)
    assert sum(count for count, _, _ in runs) == 1000
    assert all(first <= last for _, first, last in runs)
    assert len(runs) < 1000, "events are written in runs, not one line each"


def test_the_timer_flushes_a_small_tail_without_close(tmp_path):
    log_path = tmp_path / "dispatch.log"
    log = _writer_module().DispatchLog(log_path, flush_interval=0.01, max_buffered=500)
    before = time.time()
    for _ in range(3):
        log.record()
    reached = wait_until_dispatched(log_path, 3, timeout_s=2)
    assert reached is not None and reached >= before
    log.close()
    log.close()


def test_record_dispatch_is_a_no_op_without_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("BENCH_DISPATCH_LOG", raising=False)
    module = _writer_module()
    module.record_dispatch()
    assert module.active_log() is None


def test_record_dispatch_writes_where_the_environment_says(monkeypatch, tmp_path):
    log_path = tmp_path / "from-env.log"
    monkeypatch.setenv("BENCH_DISPATCH_LOG", str(log_path))
    module = _writer_module()
    module.record_dispatch()
    module.record_dispatch()
    module.active_log().close()
    assert dispatched_total(log_path) == 2


def test_reader_ignores_a_line_still_being_written(tmp_path):
    log_path = tmp_path / "dispatch.log"
    log_path.write_text("2 10.0 10.5\n3 11.0 11.25\n4 12.0")
    assert dispatched_total(log_path) == 5
    assert time_reached(log_path, 3) == 11.25
    assert time_reached(log_path, 6) is None
    assert read_runs(tmp_path / "missing.log") == []
