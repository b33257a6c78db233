"""Re-measuring disturbed targets: the least disturbed attempt wins, quiet ones are kept."""

from botbench import runner
from botbench.measurement import Measurement
from botbench.scenarios import scenario_named


def _attempts(monkeypatch, shares):
    made = iter(shares)

    def fake_measure(settings, scenario, target, botkit_ok, botkit_reason):
        share = next(made)
        return Measurement(target=target, scenario=scenario.name, extra={"other_cpu_share": share})

    monkeypatch.setattr(runner, "_measure_safely", fake_measure)
    return lambda retries: runner.measure_quietest(
        None, scenario_named("text"), "raw", True, "ok", retries
    )


def test_disturbed_measurements_are_repeated_and_the_quietest_kept(monkeypatch):
    best = _attempts(monkeypatch, [0.5, 0.3, 0.4])(2)
    assert best.extra == {"other_cpu_share": 0.3, "attempts": 3}


def test_a_quiet_attempt_ends_the_retries(monkeypatch):
    best = _attempts(monkeypatch, [0.5, 0.01, 0.9])(2)
    assert best.extra == {"other_cpu_share": 0.01, "attempts": 2}


def test_without_retries_the_first_attempt_stands(monkeypatch):
    best = _attempts(monkeypatch, [0.9])(0)
    assert best.extra == {"other_cpu_share": 0.9, "attempts": 1}
