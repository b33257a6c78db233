from botbench.measurement import OK, PENDING, Measurement, skipped
from botbench.report import ratios, ratios_table, scenario_section
from botbench.scenarios import scenario_named


def _m(target, rps, cpu, scenario="text"):
    return Measurement(
        target=target, scenario=scenario, requests=1000, requests_per_s=rps,
        events_per_request=1.0, events_per_s=rps, p50_ms=1.0, p99_ms=2.0, p999_ms=3.0,
        cpu_us_per_request=cpu, peak_rss_mb=50.0,
    )  # fmt: skip


def test_ratios_divide_botkit_by_each_baseline():
    text = scenario_named("text")
    results = {
        "text": {
            "raw": _m("raw", 20000, 40),
            "quart": _m("quart", 5000, 160),
            "pywa": _m("pywa", 2500, 320),
            "botkit": _m("botkit", 4000, 200),
        }
    }
    rows = {row["metric"]: row for row in ratios([text], results)}
    assert rows["req/s"]["botkit/quart"] == 0.8
    assert rows["req/s"]["botkit/pywa"] == 1.6
    assert rows["req/s"]["botkit/raw"] == 0.2
    assert rows["CPU/req"]["botkit/raw"] == 5.0
    assert "| text | req/s | 0.80 | 1.60 | 0.20 |" in ratios_table(list(rows.values()))


def test_no_ratios_without_botkit_figures_and_missing_baselines_show_a_dash():
    text = scenario_named("text")
    pending = skipped("botkit", "text", PENDING, "botkit not runnable")
    assert ratios([text], {"text": {"raw": _m("raw", 1, 1), "botkit": pending}}) == []
    assert ratios([text], {"text": {"botkit": _m("botkit", 10, 10)}}) == []
    rows = ratios([text], {"text": {"botkit": _m("botkit", 10, 10), "raw": _m("raw", 20, 5)}})
    assert rows[0]["botkit/raw"] == 0.5 and rows[0]["botkit/quart"] is None
    assert "| text | req/s | — | — | 0.50 |" in ratios_table(rows)


def test_scenario_section_lists_rows_and_notes():
    text = scenario_named("text")
    raw = _m("raw", 12345.6, 40)
    raw.note = "something worth knowing"
    pending = skipped("botkit", "text", PENDING, "not yet")
    section = scenario_section(text, {"raw": raw, "botkit": pending}, "wrk -t1 -c32")
    assert "| raw | 12,346 | 12,346 | 1.00 | 2.00 | 3.00 | 40 | 50.0 | 0 |" in section
    assert "| botkit | pending |" in section
    assert "- raw: something worth knowing" in section
    assert raw.status == OK


def test_events_per_second_count_dispatch_for_botkit_only():
    status_100 = scenario_named("status-100")
    botkit = _m("botkit", 100, 7000, "status-100")
    botkit.events_per_s = 10_000.0
    botkit.extra["events_per_s_with_dispatch"] = 5_000.0  # dispatch ran on as long again
    quart = _m("quart", 4000, 240, "status-100")
    quart.events_per_s = 400_000.0
    rows = {row["metric"]: row for row in ratios([status_100],
                                                 {"status-100": {"botkit": botkit,
                                                                 "quart": quart}})}
    assert rows["events/s, ack + dispatch"]["botkit/quart"] == 0.0125
    assert rows["req/s"]["botkit/quart"] == 0.025
