"""The load generators against a real server: they must count 200s and catch every non-200."""

from botbench.openloop import run_pinned
from botbench.setup_tools import ensure_wrk
from botbench.wrk import parse_bench_lines, run_wrk, to_result


def test_wrk_counts_only_200s_as_good(raw_server, text_pool):
    ensure_wrk()
    result = run_wrk(raw_server.port, text_pool, first=0, duration_s=1, connections=4)
    assert result.requests > 100
    assert result.non200 == 0 and result.failed == 0
    assert 0 < result.p50_ms <= result.p99_ms <= result.p999_ms <= result.max_ms
    assert result.sent >= result.requests


def test_wrk_reports_every_forged_request_as_non_200(raw_server, forged_pool):
    ensure_wrk()
    result = run_wrk(raw_server.port, forged_pool, first=0, duration_s=1, connections=4)
    assert result.requests > 100
    assert result.non200 == result.requests


def test_wrk_pool_position_wraps_are_reported(raw_server, forged_pool):
    result = run_wrk(raw_server.port, forged_pool, first=40, duration_s=1, connections=2)
    assert result.wrapped


def test_open_loop_keeps_its_rate_and_counts_statuses(raw_server, text_pool, forged_pool):
    good = run_pinned(raw_server.port, text_pool, first=0, rate=200, duration_s=1)
    assert good.requests == 200 and good.non200 == 0 and not good.socket_errors
    assert 0.9 <= good.duration_s <= 1.6
    assert 0 < good.p50_ms <= good.p99_ms <= good.max_ms
    forged = run_pinned(raw_server.port, forged_pool, first=0, rate=100, duration_s=0.5)
    assert forged.requests == 50 and forged.non200 == 50


def test_wrk_output_without_figures_is_an_error():
    import pytest
    from botbench.wrk import WrkError

    with pytest.raises(WrkError, match="no requests"):
        to_result(parse_bench_lines("Running 1s test\n"))
