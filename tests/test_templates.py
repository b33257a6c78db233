"""The templates and example bots work as shipped: each template is rendered with `botkit new`,
installed with the example bots, and every project's own tests run; a generated bot is served
with `botkit serve` and answers a signed webhook. Everything installed here is uninstalled."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from samples import free_port, wait_ready

from botkit.cli.main import cli
from botkit.cli.tools import register_tool_commands
from botkit.testing import ACCESS_TOKEN, FakeGraphAPI, reply_buttons, signed_headers
from botkit.testing.payloads import text_message, wire_bytes

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
BOTKIT = str(Path(sys.executable).with_name("botkit"))
TAG = str(os.getpid())  # names of their own, should two test runs share the environment


@dataclass
class Project:
    """A project to install and test: its folder and its distribution name."""

    path: Path
    dist: str
    expect_tests: int


@dataclass
class ProjectRun:
    returncode: int
    output: str


def render(kind: str, name: str, out: Path, *values: str) -> Path:
    register_tool_commands(cli)
    args = ["new", kind, name, "--no-input", "--output-dir", str(out)]
    for value in values:
        args += ["--set", value]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return Path(result.output.split("created ", 1)[1].splitlines()[0])


def is_installed(dist: str) -> bool:
    try:
        metadata.distribution(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


def pip(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    if "invalid command 'bdist_wheel'" in output:
        output += "\n(editable installs without build isolation need the 'wheel' package, " \
                  "or setuptools 70.1 or newer, in this environment)"
    assert done.returncode == 0, output


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """Render the templates, install them and the example bots (offline, no dependencies),
    and yield them by name; uninstall at the end what was not installed before."""
    out = tmp_path_factory.mktemp("rendered")
    with pytest.MonkeyPatch.context() as patch:
        config = out / "cookiecutter.yaml"
        config.write_text(f"replay_dir: {out / 'replay'}\ncookiecutters_dir: {out / 'cc'}\n")
        patch.setenv("COOKIECUTTER_CONFIG", str(config))
        found = {
            "plugin": Project(render("plugin", f"tpl{TAG}", out, "author=Test Author"),
                              f"botkit-tpl{TAG}", 5),
            "bot": Project(render("bot", f"tplbot-{TAG}", out, "use_crm_sync=yes"),
                           f"tplbot-{TAG}", 4),
            "bare-bot": Project(render("bot", f"tplbare-{TAG}", out, "use_auto_reply=no",
                                       "use_status_logger=no"), f"tplbare-{TAG}", 4),
            "echo-faq": Project(EXAMPLES / "echo-faq-bot", "echo-faq-bot", 9),
            "support-desk": Project(EXAMPLES / "support-desk-bot", "support-desk-bot", 5),
        }
    new = [p.dist for p in found.values() if not is_installed(p.dist)]
    try:
        pip("install", "--quiet", "--no-deps", "--no-build-isolation",
            *[arg for p in found.values() for arg in ("-e", str(p.path))])
        yield found
    finally:
        if new:
            pip("uninstall", "--yes", "--quiet", *new)


@pytest.fixture(scope="module")
def project_runs(projects) -> dict[str, ProjectRun]:
    """Each project's own tests, run side by side in subprocesses."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("BOTKIT_CONFIG", None)
    started = {name: subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=p.path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, p in projects.items()}
    runs = {}
    for name, process in started.items():
        output, _ = process.communicate(timeout=120)
        runs[name] = ProjectRun(process.returncode, output)
    return runs


@pytest.mark.parametrize("name", ["plugin", "bot", "bare-bot", "echo-faq", "support-desk"])
def test_project_passes_its_own_tests(name, projects, project_runs):
    run = project_runs[name]
    assert run.returncode == 0, run.output
    assert outcome_counts(run.output) == {"passed": projects[name].expect_tests}, run.output


SUMMARY_LINE = re.compile(r"=* ?(\d+ [a-z]+(?:, \d+ [a-z]+)*) in [0-9.]+s(?: \([0-9:]+\))? ?=*")


def outcome_counts(output: str) -> dict[str, int]:
    """The outcomes on pytest's closing line ("5 passed, 1 skipped in 0.31s"), read whole so
    that 15 passed is not taken for 5; warnings are left out, as they fail nothing."""
    last = output.strip().splitlines()[-1].strip()
    found = SUMMARY_LINE.fullmatch(last)
    assert found, f"no pytest summary line at the end of the output: {last!r}"
    counts = {word: int(number) for number, word in
              (part.split(" ") for part in found.group(1).split(", "))}
    return {word: n for word, n in counts.items() if word not in ("warning", "warnings")}


@pytest.mark.parametrize(("line", "counts"), [
    ("5 passed in 0.31s", {"passed": 5}),
    ("15 passed in 1.20s", {"passed": 15}),
    ("4 passed, 1 skipped, 2 warnings in 0.50s", {"passed": 4, "skipped": 1}),
    ("==== 1 failed, 5 passed in 61.02s (0:01:01) ====", {"failed": 1, "passed": 5}),
])
def test_summary_counts_are_read_whole(line, counts):
    assert outcome_counts(f"collected\n.....\n{line}\n") == counts


def test_rendered_plugin_package(projects):
    root = projects["plugin"].path
    package = root / f"botkit_tpl{TAG}"
    assert root.name == f"botkit-tpl{TAG}"
    assert {p.name for p in package.iterdir()} >= {"__init__.py", "config.schema.json"}
    workflow = (root / ".github" / "workflows" / "tests.yml").read_text()
    assert "${{ matrix.python-version }}" in workflow and "{%" not in workflow
    assert [ep.value for ep in metadata.entry_points(group="botkit", name=f"tpl{TAG}")] == [
        f"botkit_tpl{TAG}"]
    assert "Test Author" in (root / "pyproject.toml").read_text()


def test_rendered_bot_project(projects):
    full = (projects["bot"].path / "botkit.toml").read_text()
    assert f'"tplbot-{TAG}",' in full and '"auto-reply",' in full and '"crm-sync",' in full
    bare = (projects["bare-bot"].path / "botkit.toml").read_text()
    assert "auto-reply" not in bare and "status-logger" not in bare
    env_example = (projects["bot"].path / ".env.example").read_text()
    for name in ("WHATSAPP_VERIFY_TOKEN=", "WHATSAPP_APP_SECRET=", "WHATSAPP_ACCESS_TOKEN="):
        assert name in env_example
    readme = (projects["bot"].path / "README.md").read_text()
    assert "pytest" in readme and "botkit serve" in readme



def test_generated_bot_serves_a_signed_webhook(projects):
    bot = projects["bot"].path
    port = free_port()
    with FakeGraphAPI(access_token=ACCESS_TOKEN) as graph:
        settings = (bot / "botkit.toml").read_text()
        settings = settings.replace("[whatsapp]\n", f'[whatsapp]\ngraph_url = "{graph.url}"\n')
        settings = settings.replace('bind = "127.0.0.1:8000"', f'bind = "127.0.0.1:{port}"')
        (bot / "botkit.toml").write_text(settings)
        env = {**os.environ, "WHATSAPP_VERIFY_TOKEN": "vt", "WHATSAPP_APP_SECRET": "app-secret",
               "WHATSAPP_ACCESS_TOKEN": ACCESS_TOKEN, "BOTKIT_CONFIG": "botkit.toml"}
        process = subprocess.Popen([BOTKIT, "serve"], cwd=bot, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, process)
            verify = httpx.get(f"{base}/webhook", params={
                "hub.mode": "subscribe", "hub.challenge": "8412", "hub.verify_token": "vt"})
            assert (verify.status_code, verify.text) == (200, "8412")
            body = wire_bytes(text_message("menu"))
            answer = httpx.post(f"{base}/webhook", content=body,
                                headers=signed_headers(body, "app-secret"))
            assert answer.status_code == 200
            [reply] = graph.wait_for_messages_sync(1, timeout=15)
            assert reply["to"] == "15557654321"
            assert reply_buttons(reply) == [("hours", "Opening hours"), ("contact", "Talk to us")]
            forged = httpx.post(f"{base}/webhook", content=body,
                                headers=signed_headers(body, "not-the-app-secret"))
            assert forged.status_code == 403
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=20)
    assert code == 0, process.stderr.read()
    assert (bot / "botkit-data" / "botkit.db").exists()  # the data lives with the bot
