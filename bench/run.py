"""Benchmark botkit's webhook receiver against a raw ASGI app, bare Quart and pywa, in one run.

    python3 bench/run.py [--targets raw,quart,pywa,botkit] [--scenarios text,...]
                         [--server uvicorn|hypercorn] [--write-results]

Each server runs as its own process pinned to CPU 0; load generators run on CPU 1. See
bench/README.md for the methodology.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
MAIN_VENV = BENCH_DIR.parent / ".venv"
LOAD_CPU = 1


def _in_botkit_venv() -> bool:
    return Path(sys.prefix).resolve() == MAIN_VENV.resolve()


def _reexec_in_botkit_venv() -> None:
    """The harness imports botkit's stack (quart, uvloop...), so it runs in botkit's venv."""
    python = MAIN_VENV / "bin" / "python"
    if not python.exists():
        sys.exit(f"botkit's virtualenv is missing ({python}); create it and install botkit first")
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])


def _pin_to_load_cpu() -> None:
    """The harness and the load generators it starts share CPU 1; servers get CPU 0."""
    if (os.cpu_count() or 1) < 2:
        sys.exit("the benchmark needs 2 CPUs: servers on CPU 0, load generators on CPU 1")
    os.sched_setaffinity(0, {LOAD_CPU})


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def parse_args(argv: list[str]) -> argparse.Namespace:
    from botbench.scenarios import SCENARIOS
    from botbench.targets import SERVERS, TARGETS

    parser = argparse.ArgumentParser(
        prog="bench/run.py", description=__doc__.splitlines()[0], allow_abbrev=False
    )
    parser.add_argument("--targets", type=_csv, default=TARGETS, help=f"of {','.join(TARGETS)}")
    parser.add_argument(
        "--scenarios",
        type=_csv,
        default=tuple(s.name for s in SCENARIOS),
        help="of " + ",".join(s.name for s in SCENARIOS),
    )
    parser.add_argument("--server", choices=SERVERS, default="uvicorn")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds (default 2)")
    parser.add_argument("--duration", type=int, default=5, help="measured seconds (default 5)")
    parser.add_argument("--rate", type=float, default=1000.0, help="fixed-rate req/s")
    parser.add_argument("--singles", type=int, default=10, help="POSTs in single-request runs")
    parser.add_argument(
        "--pool-scale", type=float, default=1.0, help="multiply the signed request pool sizes"
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out", help="output folder")
    parser.add_argument("--keep-pools", action="store_true", help="keep the signed pools")
    parser.add_argument(
        "--write-results", action="store_true", help="rewrite bench/RESULTS.md from this run"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="first wait up to SECONDS for other processes to leave the CPUs alone",
    )
    parser.add_argument(
        "--retry-noisy",
        type=int,
        default=0,
        metavar="N",
        help="re-measure up to N times when other processes took over 5%% of a CPU",
    )
    args = parser.parse_args(argv)
    unknown = [target for target in args.targets if target not in TARGETS]
    if unknown:
        parser.error(f"unknown targets {unknown}; choose from {list(TARGETS)}")
    if args.duration < 1 or args.warmup < 1 or args.singles < 1:
        parser.error("--duration, --warmup and --singles must be at least 1")
    return args


def main(argv: list[str]) -> int:
    if not _in_botkit_venv():
        _reexec_in_botkit_venv()
    sys.path.insert(0, str(BENCH_DIR))
    from botbench.paths import RESULTS_MD
    from botbench.runner import Options, run
    from botbench.scenarios import scenario_named
    from botbench.setup_tools import SetupError

    args = parse_args(argv)
    try:
        scenarios = tuple(scenario_named(name) for name in args.scenarios)
    except ValueError as error:
        print(f"bench/run.py: {error}", file=sys.stderr)
        return 2
    _pin_to_load_cpu()
    options = Options(
        targets=args.targets,
        scenarios=scenarios,
        server=args.server,
        out_dir=args.out,
        warmup_s=args.warmup,
        duration_s=args.duration,
        rate=args.rate,
        singles=args.singles,
        pool_scale=args.pool_scale,
        keep_pools=args.keep_pools,
        write_results=RESULTS_MD if args.write_results else None,
        wait_quiet_s=args.wait_quiet,
        retry_noisy=args.retry_noisy,
    )
    try:
        run(options)
    except SetupError as error:
        print(f"bench/run.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
