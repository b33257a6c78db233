"""``botkit send``: send a real message from the terminal, through the same client and message
builders a bot uses, with the same local checks and the same splitting of long texts.

One of ``--text``, ``--image``, ``--document`` or ``--buttons``; a file is uploaded first and
then sent by its media id. The business number is ``--from``, else ``[whatsapp]
phone_number_id`` of the settings. Exit status: 0 sent, 1 the Graph API refused (or the
outcome is unknown), 2 a usage, settings or message-check error. The text is never printed;
each sent message is one ``sent <wamid>`` line.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import click

from botkit.cli.common import EXIT_FAILED, config_option, fail, load_settings
from botkit.errors import BotkitError
from botkit.settings import Settings

_NUMBER = re.compile(r"\+?[0-9][0-9 ()-]{4,}")
_GRAPH_ID = re.compile(r"[0-9]+")


@click.command("send")
@config_option
@click.option("--to", "to", required=True, metavar="NUMBER",
              help="The customer's WhatsApp number with country code, e.g. 16505551234.")
@click.option("--text", help="Send this text (longer than 4,096 characters: several messages).")
@click.option("--image", metavar="FILE", help="Send this JPEG or PNG file (up to 5 MB).")
@click.option("--document", metavar="FILE",
              help="Send this PDF, text or Office file (up to 100 MB).")
@click.option("--buttons", metavar="A,B,C",
              help="Reply buttons, comma-separated; more than 3 are sent as a list (up to 10).")
@click.option("--body", help="The text above --buttons, or the caption of --image/--document.")
@click.option("--from", "phone_number_id", metavar="PHONE_NUMBER_ID",
              help="The business number's id. Default: [whatsapp] phone_number_id.")
@click.option("--access-token", envvar="WHATSAPP_ACCESS_TOKEN",
              help="Business or system-user token. Default: the --from number's "
                   "[numbers.<id>] access_token, else [whatsapp] access_token.")
def send(config_path: str | None, to: str, text: str | None, image: str | None,
         document: str | None, buttons: str | None, body: str | None,
         phone_number_id: str | None, access_token: str | None) -> None:
    """Send a text, an image, a document or reply buttons to a WhatsApp number."""
    chosen = [name for name, value in (("--text", text), ("--image", image),
                                       ("--document", document), ("--buttons", buttons))
              if value is not None]
    if len(chosen) != 1:
        fail("give exactly one of --text, --image, --document or --buttons"
             + (f" (got {', '.join(chosen)})" if chosen else ""))
    if body is not None and text is not None:
        fail("--body goes with --buttons (the text above them) or --image/--document "
             "(the caption), not with --text")
    if buttons is not None and body is None:
        fail("--buttons needs --body, the text above the buttons")
    if not _NUMBER.fullmatch(to.strip()):
        fail(f"--to must be a phone number with country code, got {to!r}")
    recipient = re.sub(r"\D", "", to)
    settings = load_settings(config_path, secrets=False)
    sender = phone_number_id or getattr(settings.whatsapp, "phone_number_id", None)
    if not sender:
        fail("no business number: give --from PHONE_NUMBER_ID (or set [whatsapp] "
             "phone_number_id in the settings)")
    if not _GRAPH_ID.fullmatch(sender):
        fail(f"--from must be a phone number id (digits), got {sender!r}")
    token = access_token or settings.access_token_for(sender)
    if not token:
        fail("no access token: give --access-token, set WHATSAPP_ACCESS_TOKEN, or set "
             "[whatsapp] access_token in the settings")
    messages = _messages(text, image, document, buttons, body)
    asyncio.run(_send_all(settings, token, sender, recipient, messages))


def _messages(text: str | None, image: str | None, document: str | None,
              buttons: str | None, body: str | None) -> list[Any]:
    """The builders to send, in order; a message Meta would refuse ends the command (2)."""
    from botkit.whatsapp.builders import Buttons, Document, Image, MessageBuildError, texts

    try:
        if text is not None:
            return list(texts(text))
        if image is not None:
            return [Image.from_file(image, caption=body)]
        if document is not None:
            return [Document.from_file(document, caption=body)]
        choices = [choice.strip() for choice in (buttons or "").split(",")]
        if any(not choice for choice in choices):
            fail(f"--buttons has an empty choice: {buttons!r}")
        return [Buttons(body or "", [(choice, choice) for choice in choices],
                        list_fallback=True)]
    except MessageBuildError as exc:
        fail(exc)


async def _send_all(settings: Settings, token: str, sender: str, recipient: str,
                    messages: list[Any]) -> None:
    from botkit.whatsapp.builders import MessageBuildError
    from botkit.whatsapp.client import WhatsAppClient

    wa = settings.whatsapp
    try:
        client = WhatsAppClient(access_token=token, graph_url=wa.graph_url,
                                api_version=wa.api_version, timeout=max(wa.timeout, 30.0))
    except ValueError as exc:
        fail(str(exc))
    async with client:
        for number, message in enumerate(messages, 1):
            part = f" (part {number} of {len(messages)})" if len(messages) > 1 else ""
            try:
                result = await client.send(sender, recipient, message)
            except MessageBuildError as exc:
                fail(f"{exc}{part}")
            except (BotkitError, ValueError) as exc:
                unsent = f"; parts {number} to {len(messages)} were not sent" if part else ""
                fail(f"{exc}{unsent}", EXIT_FAILED)
            click.echo(f"sent {result.message_id}{part}")


def register_send_command(cli: click.Group) -> None:
    """Add ``send`` to the ``botkit`` command group."""
    cli.add_command(send)
