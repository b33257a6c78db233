"""``botkit flows keygen``: the Flows endpoint's key pair, made safely.

The private key is written encrypted with a passphrase, with mode 0600 and never over an
existing file (a key in use must not be lost by a typo); the public key is printed to register
with Meta. The passphrase comes from a prompt (asked twice) or an environment variable, never
from the command line, where it would be kept in the shell history.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from botkit.cli.common import EXIT_FAILED, fail

MIN_PASSPHRASE_CHARS = 8


@click.command()
@click.argument("private_key_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--passphrase-env", metavar="NAME",
              help="Read the passphrase from this environment variable instead of asking.")
@click.option("--public-key-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the public key (PEM) to this file.")
def keygen(private_key_file: Path, passphrase_env: str | None,
           public_key_file: Path | None) -> None:
    """Make the endpoint's RSA key pair: write the private key, print the public key.

    The private key is PKCS#8 PEM encrypted with the passphrase, written with mode 0600; an
    existing file is never overwritten. Register the printed public key for each business
    number (POST /<phone-number-id>/whatsapp_business_encryption) and name the private key in
    [flows] private_key.
    """
    from botkit.flows.keys import generate_key_pair

    for path in (private_key_file, public_key_file):
        if path is not None and path.exists():
            fail(f"{path} exists; botkit never overwrites a key file: choose another name",
                 EXIT_FAILED)
    passphrase = _passphrase(passphrase_env)
    private_pem, public_pem = generate_key_pair(passphrase)
    _write_new(private_key_file, private_pem, 0o600)
    if public_key_file is not None:
        _write_new(public_key_file, public_pem, 0o644)
    click.echo(public_pem.decode("ascii"), nl=False)
    env_name = passphrase_env or "WHATSAPP_FLOWS_PASSPHRASE"
    click.echo(
        f"wrote the private key to {private_key_file} (mode 0600, encrypted with the "
        f"passphrase)\n"
        f"next: register the public key above with Meta for each business number, then set:\n"
        f"  [flows]\n"
        f"  private_key = {{ file = \"{private_key_file}\" }}\n"
        f"  passphrase = {{ env = \"{env_name}\" }}", err=True)


def _passphrase(env_name: str | None) -> str:
    if env_name is not None:
        passphrase = os.environ.get(env_name, "")
        if not passphrase:
            raise click.BadParameter(f"environment variable {env_name} is not set or empty",
                                     param_hint="--passphrase-env")
    else:
        passphrase = click.prompt("Passphrase for the new private key", hide_input=True,
                                  confirmation_prompt=True, err=True)
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise click.BadParameter(f"the passphrase needs at least {MIN_PASSPHRASE_CHARS} "
                                 f"characters", param_hint="passphrase")
    return passphrase


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with exactly ``mode``; fail if it exists (no race: O_EXCL)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        fail(f"{path} exists; botkit never overwrites a key file: choose another name",
             EXIT_FAILED)
    except OSError as exc:
        fail(f"cannot create {path}: {exc.strerror}", EXIT_FAILED)
    os.fchmod(fd, mode)  # the umask may have taken bits away; never more than asked
    with os.fdopen(fd, "wb") as file:
        file.write(data)
