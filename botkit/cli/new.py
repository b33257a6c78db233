"""``botkit new plugin|bot``: start a plugin package or a bot project from botkit's cookiecutter
templates.

Its own module because it shares nothing with the webhook tools: it renders files, and needs
cookiecutter, imported only when a project is created.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from botkit.cli.common import fail
from botkit.errors import SettingsError

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
TEMPLATES = {"plugin": "cookiecutter-botkit-plugin", "bot": "cookiecutter-botkit-bot"}


def template_dir(kind: str) -> Path | None:
    """botkit's template for ``kind``: shipped in the package, else in a source checkout."""
    from importlib import resources

    shipped = resources.files("botkit") / "templates" / TEMPLATES[kind]
    if shipped.is_dir():
        return Path(str(shipped))
    checkout = Path(__file__).resolve().parents[2] / "examples" / TEMPLATES[kind]
    return checkout if checkout.is_dir() else None


def render_template(kind: str, name: str, *, output_dir: Path, no_input: bool,
                    template: str | None = None, extra: dict[str, str] | None = None) -> Path:
    """Run the cookiecutter template for a ``plugin`` or a ``bot`` named ``name``."""
    if not NAME.fullmatch(name):
        raise SettingsError([f"{kind} name {name!r}: use lower-case letters, digits and single "
                             "hyphens, starting with a letter (like order-status)"])
    try:
        from cookiecutter.exceptions import CookiecutterException
        from cookiecutter.main import cookiecutter
    except ImportError:
        raise SettingsError(["botkit new needs cookiecutter: pip install cookiecutter"]) from None
    source = template or template_dir(kind)
    if source is None:
        raise SettingsError([f"the {kind} template is not part of this botkit installation: "
                             f"pass --template with a copy of examples/{TEMPLATES[kind]}"])
    context = {f"{kind}_name": name, **(extra or {})}
    try:
        created = cookiecutter(str(source), no_input=no_input, extra_context=context,
                               output_dir=str(output_dir))
    except CookiecutterException as exc:
        raise SettingsError([f"cookiecutter: {exc}"]) from None
    return Path(created)


def _extra_context(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, item = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint="--set")
        pairs[key.strip()] = item.strip()
    return pairs


def _new_command(kind: str, short: str, summary: str) -> click.Command:
    @click.command(kind, short_help=short, help=f"{short} {summary}")
    @click.argument("name")
    @click.option("--no-input", is_flag=True, help="Do not ask; use the defaults and --set.")
    @click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path),
                  default=Path("."), show_default=True, help="Where to create the project.")
    @click.option("--set", "values", multiple=True, metavar="KEY=VALUE",
                  help="A template variable (repeatable), e.g. --set author='Ana Souza'.")
    @click.option("--template", help="Another copy of the template (a folder or a git URL).")
    def command(name: str, no_input: bool, output_dir: Path, values: tuple[str, ...],
                template: str | None) -> None:
        try:
            created = render_template(kind, name, output_dir=output_dir, no_input=no_input,
                                      template=template, extra=_extra_context(values))
        except SettingsError as exc:
            fail(exc)
        click.echo(f"created {created}")
        # The project's tests need its test extra (pytest and botkit's test kit dependencies).
        click.echo(f"next: cd {created} && pip install -e '.[test]' && pytest  "
                   "(see its README.md)")

    return command


@click.group()
def new() -> None:
    """Start a plugin package or a bot project from botkit's templates (cookiecutter)."""


new.add_command(_new_command("plugin", "Create a plugin package botkit-NAME.",
                             "Entry point NAME, settings schema, a hook, README, conversation "
                             "tests and a CI workflow."))
new.add_command(_new_command("bot", "Create a bot project NAME.",
                             "botkit.toml with the bundled plugins you choose, a plugin of its "
                             "own, .env.example, README and tests."))
