"""Checked template sends for plugins, and the check the outbox can make before sending.

``await checked_template(bot, Template(...))`` looks the template up in the bot's cache and
returns Meta's message object only when the send would be accepted: the template exists in
that language, may be sent in its status, and every parameter fits. The result goes to
``message.reply(...)``, ``conversation.send(...)`` (also as ``fallback=``) or
``bot.whatsapp.send(...)``. No Graph call is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botkit.message_templates.backends import open_template_cache
from botkit.message_templates.cache import TemplateCache
from botkit.message_templates.checking import check_status, check_template, find_cached
from botkit.message_templates.errors import NoTemplateAccount, UnsupportedTemplate
from botkit.message_templates.message import Template
from botkit.state_once import made_once

if TYPE_CHECKING:
    from botkit.bot import Bot

#: Where the bot keeps its template cache.
CACHE_KEY = "botkit.message_templates"


async def template_cache(bot: Bot) -> TemplateCache:
    """The bot's template cache, beside its store (opened on first use)."""
    async def make() -> TemplateCache:
        cache = open_template_cache(bot.store)
        await cache.open()
        return cache

    return await made_once(bot.state, CACHE_KEY, TemplateCache, make)


async def template_account(bot: Bot, cache: TemplateCache, number: str | None = None) -> str:
    """The account of ``number`` (its ``[numbers.<id>] waba_id``), else ``[whatsapp] waba_id``,
    else the one account the cache knows."""
    configured = bot.settings.waba_for(number)
    if configured:
        return configured
    accounts = await cache.accounts()
    if len(accounts) == 1:
        return accounts[0]
    known = f"the cache holds {', '.join(accounts)}" if accounts else "the cache is empty"
    raise NoTemplateAccount(f"which WhatsApp Business Account's templates to use is not known "
                            f"({known}); set [whatsapp] waba_id")


async def checked_template(bot: Bot, template: Template | Mapping[str, Any], *,
                           waba_id: str | None = None, phone_number_id: str | None = None
                           ) -> dict[str, Any]:
    """Meta's message object for ``template`` once it passed every check against the cached
    definition; raises a :class:`~botkit.message_templates.TemplateError` saying what is
    wrong. A message object (a dict) is read back into a :class:`Template` first. The account
    is ``waba_id``, else that of the sending number ``phone_number_id``, else the bot's."""
    if not isinstance(template, Template):
        template = Template.from_body(template)
    cache = await template_cache(bot)
    account = waba_id or await template_account(bot, cache, phone_number_id)
    cached = find_cached(template, await cache.named(account, template.name), account)
    check_template(template, cached)
    return template.to_body()


async def check_before_send(bot: Bot, body: Mapping[str, Any],
                            phone_number_id: str | None = None) -> None:
    """The outbox's check of a template message about to be sent.

    It only applies once the account was synced (``botkit templates sync``), so a bot that
    never uses the cache sends as before. Parts of a template typed sending does not model
    are left to Meta; its existence, language and status are still checked. The account is
    that of the sending number ``phone_number_id`` (see :meth:`Settings.waba_for`).
    """
    if body.get("type") != "template":
        return
    cache = await template_cache(bot)
    account = bot.settings.waba_for(phone_number_id)
    if not account:
        accounts = await cache.accounts()
        account = accounts[0] if len(accounts) == 1 else None
    if account is None or await cache.synced_at(account) is None:
        return
    try:
        template = Template.from_body(body)
    except UnsupportedTemplate:
        template = None
    if template is None:
        name, language = _name_and_language(body)
        rows = await cache.named(account, name)
        check_status(find_cached(Template(name, language), rows, account))
        return
    cached = find_cached(template, await cache.named(account, template.name), account)
    try:
        check_template(template, cached)
    except UnsupportedTemplate:
        check_status(cached)


def _name_and_language(body: Mapping[str, Any]) -> tuple[str, str]:
    template = body.get("template")
    template = template if isinstance(template, Mapping) else {}
    language = template.get("language")
    code = language.get("code") if isinstance(language, Mapping) else None
    return str(template.get("name", "")), str(code or "")
