"""Plugins are written against botkit's public API, and that API is typed.

The bundled plugins, the example bots and the templates import only ``botkit``, ``botkit.cli``
and (in tests) ``botkit.testing``; everything else in botkit may move between releases. botkit
is built as a wheel and installed with its dependencies into a fresh virtual environment, as a
plugin author gets it; there it ships ``py.typed`` and its public names, and ``mypy --strict``
passes on every bundled plugin and on a rendered template, checked against that installation.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

import botkit

REPO = Path(__file__).resolve().parents[1]
SCANNED = [REPO / "plugins", REPO / "examples", REPO / "botkit" / "templates"]
NOT_SOURCE = {".venv", "venv", "build", "dist", "__pycache__", ".git", "botkit-data",
              ".mypy_cache", ".pytest_cache"}
# Lines that are only a Jinja statement ({% if %}, {%- endif %}) in a template's Python files:
# blanked, so both branches parse and line numbers stay right.
JINJA_STATEMENT = re.compile(r"^[ \t]*\{%-?.*?-?%\}[ \t]*$", re.MULTILINE)
PUBLIC_NAMES = frozenset(botkit.__all__)
PUBLIC_NAMES_TO_IMPORT = ("Bot", "Message", "Status", "WhatsAppClient", "GraphError",
                          "hookimpl", "NO_REPLY")


# -- (a) only the public modules ----------------------------------------------------------------

def is_test_file(path: Path) -> bool:
    return "tests" in path.parts or path.name.startswith("test_") or path.name == "conftest.py"


#: The public modules: ``botkit`` itself and the documented feature namespaces.
PUBLIC = ("botkit", "botkit.cli", "botkit.routing", "botkit.flows", "botkit.message_templates",
          "botkit.whatsapp.builders", "botkit.inbound_media")


def allowed(module: str, in_test: bool) -> bool:
    """The public modules anywhere; ``botkit.testing`` and below in tests only."""
    if module in PUBLIC:
        return True
    return in_test and (module == "botkit.testing" or module.startswith("botkit.testing."))


def botkit_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for every import of botkit or one of its modules in ``tree``.

    ``from botkit import X`` imports the module ``botkit.X`` unless X is a public name.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "botkit" or alias.name.startswith("botkit."):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "botkit":
                for alias in node.names:
                    public = alias.name in PUBLIC_NAMES
                    yield node.lineno, "botkit" if public else f"botkit.{alias.name}"
            elif node.module.startswith("botkit."):
                yield node.lineno, node.module


def private_imports(path: Path, source: str) -> list[str]:
    """``file:line: module`` for each import of a botkit module a plugin may not use."""
    tree = ast.parse(JINJA_STATEMENT.sub("", source), filename=str(path))
    in_test = is_test_file(path)
    return [f"{path}:{line}: imports {module}" for line, module in botkit_modules(tree)
            if not allowed(module, in_test)]


def python_files() -> list[Path]:
    found: dict[Path, Path] = {}
    for root in SCANNED:
        for path in sorted(root.rglob("*.py")):
            parts = set(path.relative_to(root).parts)
            if parts & NOT_SOURCE or any(p.endswith(".egg-info") for p in parts):
                continue
            found.setdefault(path.resolve(), path)  # botkit/templates links to examples/
    return sorted(found.values())


def test_plugins_examples_and_templates_import_only_the_public_api():
    files = python_files()
    names = {str(p.relative_to(REPO)) for p in files}
    for expected in ["plugins/auto-reply/botkit_auto_reply/__init__.py",
                     "plugins/crm-sync/botkit_crm_sync/cli.py",
                     "plugins/status-logger/tests/test_status_logger_cli.py",
                     "examples/echo-faq-bot/echo_faq/__init__.py",
                     "examples/support-desk-bot/support_desk/cli.py"]:
        assert expected in names, f"{expected} was not scanned"
    templates = [n for n in names if "{{ cookiecutter." in n]
    assert len(templates) >= 4, templates  # each template's package and its tests
    offending = [line for path in files
                 for line in private_imports(path, path.read_text(encoding="utf-8"))]
    assert not offending, "imports of botkit internals:\n" + "\n".join(offending)


def test_the_import_check_finds_internal_imports():
    source = ("import botkit.settings\n"
              "from botkit import Message, hookspecs\n"
              "from botkit.bot import Bot\n"
              "from botkit.testing import make_settings\n"
              "from botkit.cli import fail\n"
              "{%- if cookiecutter.x %}\n"
              "from botkit.whatsapp.errors import GraphError\n"
              "{%- endif %}\n")
    assert private_imports(Path("pkg/module.py"), source) == [
        "pkg/module.py:1: imports botkit.settings",
        "pkg/module.py:2: imports botkit.hookspecs",
        "pkg/module.py:3: imports botkit.bot",
        "pkg/module.py:4: imports botkit.testing",
        "pkg/module.py:7: imports botkit.whatsapp.errors",
    ]
    assert private_imports(Path("pkg/tests/test_module.py"),
                           "from botkit.testing.payloads import text_message\n") == []


# -- the installed wheel --------------------------------------------------------------------------

@dataclass(frozen=True)
class Installed:
    """botkit installed from its wheel into a virtual environment of its own."""

    python: Path
    package: Path  # the installed botkit package folder
    workdir: Path  # a folder outside the checkout to run commands in


def run(*args: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """A command in ``cwd`` (never this checkout, which ``python -c`` would put on
    ``sys.path``), without PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=timeout)


def copy_sources(target: Path) -> Path:
    """What building needs, copied so that the build leaves nothing in the work tree
    (``botkit/templates`` links are followed, as the wheel needs the files)."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, target / name)
    shutil.copytree(REPO / "botkit", target / "botkit", ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info", "botkit-data", ".mypy_cache", ".pytest_cache"))
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """``pip wheel`` (not editable), then a fresh ``python -m venv`` (no system site packages)
    into which pip installs the wheel with its dependencies (from pip's cache where it has
    them)."""
    work = tmp_path_factory.mktemp("wheel")
    source = copy_sources(work / "source")
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                "--no-index", "--disable-pip-version-check", "--quiet", "--wheel-dir",
                work / "dist", source, cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = (work / "dist").glob("botkit-*.whl")
    venv = work / "venv"
    created = run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    done = run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
               "--disable-pip-version-check", "--prefer-binary", "--no-compile", wheel, cwd=work)
    assert done.returncode == 0, done.stdout + done.stderr
    where = run(python, "-c", "import botkit, pathlib; print(pathlib.Path(botkit.__file__).parent)",
                cwd=work)
    assert where.returncode == 0, where.stderr
    return Installed(python=python, package=Path(where.stdout.strip()), workdir=work)


def test_the_installed_package_is_typed_and_exports_the_public_api(installed):
    probe = f"""
import importlib.metadata as metadata, json, sys
from botkit import {", ".join(PUBLIC_NAMES_TO_IMPORT)}
import botkit
files = [str(f) for f in metadata.distribution("botkit").files or ()]
print(json.dumps({{"file": botkit.__file__, "prefix": sys.prefix, "base": sys.base_prefix,
                  "path": sys.path, "typed": "botkit/py.typed" in files,
                  "hookimpl": type(hookimpl).__name__, "no_reply": repr(NO_REPLY)}}))
"""
    result = run(installed.python, "-c", probe, cwd=installed.workdir)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    venv = installed.python.parents[1]
    assert Path(found["file"]).is_relative_to(venv)  # the wheel's copy, not this checkout
    assert not any(p.startswith(str(REPO)) for p in found["path"])
    assert found["typed"] and (installed.package / "py.typed").is_file()
    assert (found["hookimpl"], found["no_reply"]) == ("HookimplMarker", "botkit.NO_REPLY")
    site = [p for p in found["path"] if p.endswith("site-packages")]
    assert site and all(Path(p).is_relative_to(venv) for p in site)  # no system site packages


# -- (b), (c) mypy --strict against the installed botkit -----------------------------------------

MypyRun = Callable[[Path], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def mypy(installed, tmp_path_factory) -> MypyRun:
    """``mypy(path)``: ``mypy --strict`` on a package folder, resolving imports in the
    environment botkit was installed into; every run shares one cache."""
    cache = tmp_path_factory.mktemp("mypy-cache")
    workdir = tmp_path_factory.mktemp("mypy-run")  # no settings file of this repository

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return run(sys.executable, "-m", "mypy", "--strict", "--python-executable",
                   installed.python, "--cache-dir", cache, path, cwd=workdir, timeout=120)

    return check


@pytest.fixture(scope="module")
def rendered(installed, tmp_path_factory) -> dict[str, Path]:
    """Both templates as shipped in the wheel, rendered with cookiecutter (every bundled plugin
    enabled in the bot)."""
    out = tmp_path_factory.mktemp("rendered")
    config = out / "cookiecutter.yaml"
    config.write_text(f"replay_dir: {out / 'replay'}\ncookiecutters_dir: {out / 'cc'}\n")
    templates = installed.package / "templates"
    plugin = cookiecutter(str(templates / "cookiecutter-botkit-plugin"), no_input=True,
                          output_dir=str(out), config_file=str(config),
                          extra_context={"plugin_name": "typed-check"})
    bot = cookiecutter(str(templates / "cookiecutter-botkit-bot"), no_input=True,
                       output_dir=str(out), config_file=str(config),
                       extra_context={"bot_name": "typed-bot", "use_crm_sync": "yes"})
    return {"plugin-template": Path(plugin) / "botkit_typed_check",
            "bot-template": Path(bot) / "typed_bot"}


PACKAGES = {
    "auto-reply": REPO / "plugins" / "auto-reply" / "botkit_auto_reply",
    "crm-sync": REPO / "plugins" / "crm-sync" / "botkit_crm_sync",
    "status-logger": REPO / "plugins" / "status-logger" / "botkit_status_logger",
    "echo-faq": REPO / "examples" / "echo-faq-bot" / "echo_faq",
    "support-desk": REPO / "examples" / "support-desk-bot" / "support_desk",
}


@pytest.mark.parametrize("name", [*PACKAGES, "plugin-template", "bot-template"])
def test_mypy_strict_passes(name, mypy, rendered):
    package = PACKAGES.get(name) or rendered[name]
    assert (package / "py.typed").is_file(), f"{package} has no py.typed marker"
    result = mypy(package)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found")


PROBE = '''\
"""A plugin that reads a field of the message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit import Message, hookimpl

if TYPE_CHECKING:
    from botkit import Bot


@hookimpl
def message_received(bot: Bot, message: Message) -> None:
    bot.log.info("from %s: %s", message.sender, message.{field})
'''


def test_mypy_strict_catches_a_field_the_event_does_not_have(mypy, tmp_path):
    for name, field in [("botkit_probe_wrong", "no_such_field"), ("botkit_probe_right", "text")]:
        package = tmp_path / name
        package.mkdir()
        (package / "__init__.py").write_text(PROBE.format(field=field))
        (package / "py.typed").write_text("")
    wrong = mypy(tmp_path / "botkit_probe_wrong")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert '"Message" has no attribute "no_such_field"' in wrong.stdout
    assert "Found 1 error in 1 file" in wrong.stdout
    right = mypy(tmp_path / "botkit_probe_right")
    assert right.returncode == 0, right.stdout + right.stderr


# -- the documented examples ---------------------------------------------------------------------

def python_block(doc: str, marker: str) -> str:
    """The first ```python block of ``doc`` (a path under the repository) after ``marker``."""
    text = (REPO / doc).read_text(encoding="utf-8")
    after = text[text.index(marker):]
    return after.split("```python\n", 1)[1].split("```", 1)[0]


DOC_EXAMPLES = {
    "readme": ("README.md", "## Writing a plugin"),
    "hooks": ("docs/hooks.md", "# Hook reference"),
    "writing-plugins": ("docs/writing-plugins.md", "## Hooks"),
}


@pytest.mark.parametrize("name", DOC_EXAMPLES)
def test_documented_plugin_examples_pass_mypy_strict(name, mypy, tmp_path):
    package = tmp_path / f"doc_example_{name.replace('-', '_')}"
    package.mkdir()
    (package / "__init__.py").write_text(python_block(*DOC_EXAMPLES[name]))
    result = mypy(package)
    assert result.returncode == 0, result.stdout + result.stderr


async def test_the_readme_plugin_answers_with_its_schema_default(installed_plugin,
                                                                 bot_conversation):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    schema = json.loads(readme.split("```json\n", 1)[1].split("```", 1)[0])
    installed_plugin("hello", python_block("README.md", "## Writing a plugin"), schema=schema)
    chat = await bot_conversation(enabled_plugins=["hello"])
    await chat.send_text("well hello")
    assert await chat.reply_texts() == ["Hello Priya Raman!"]
