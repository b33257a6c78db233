"""Where the harness finds its inputs and puts its outputs; one place so nothing guesses."""

from __future__ import annotations

from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
SERVERS_DIR = BENCH_DIR / "servers"
LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "pool.lua"
NOOP_PLUGIN_DIR = BENCH_DIR / "noop_plugin"
PEERS_REQUIREMENTS = BENCH_DIR / "requirements-peers.txt"
PEERS_VENV = BENCH_DIR / ".venv-peers"
MAIN_VENV = REPO_DIR / ".venv"
MAIN_PYTHON = MAIN_VENV / "bin" / "python"
BOTKIT_BIN = MAIN_VENV / "bin" / "botkit"
SHARED_PAYLOADS = REPO_DIR.parent / "shared" / "whatsapp" / "payloads"
TEXT_TEMPLATE = SHARED_PAYLOADS / "message_text.json"
RESULTS_MD = BENCH_DIR / "RESULTS.md"
