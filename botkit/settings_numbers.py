"""``[numbers.<phone_number_id>]``: several business numbers behind one webhook.

A solution provider, or a business with several numbers, points one callback URL at one botkit.
Each number may bring its own access token, its own ``enabled_plugins`` (which replaces the
top-level list for that number) and plugin tables merged over the top-level ones; a number with no
table runs on the top-level settings. Read and checked here so that :mod:`botkit.settings` stays
small; plugin tables are validated against each plugin's schema later, by
:func:`botkit.plugins.load_plugins`, because only the plugin knows its schema.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botkit.secrets import SecretResolver


@dataclass(frozen=True)
class NumberSettings:
    """One ``[numbers.<phone_number_id>]`` table, its token resolved."""

    phone_number_id: str
    #: The number's own token for Graph calls; None: the top-level ``[whatsapp] access_token``.
    access_token: str | None = field(default=None, repr=False)
    #: The number's plugins in call order; None: the top-level ``enabled_plugins``.
    enabled_plugins: tuple[str, ...] | None = None
    #: ``[numbers.<id>.plugins.<name>]`` tables as written (merged over the top-level ones).
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The WhatsApp Business Account the number belongs to (its templates, its account events).
    waba_id: str | None = None
    #: A name for people (logs, the console); the id when none is given.
    label: str | None = None
    #: The number's own fallback template outside the 24-hour window (its account's templates
    #: differ from another account's); None: ``[conversations] fallback_template``.
    fallback_template: str | None = None
    fallback_language: str | None = None


def read_numbers(table: Mapping[str, Any], resolver: SecretResolver
                 ) -> dict[str, NumberSettings]:
    """Every ``[numbers.<id>]`` table; a token that does not resolve is a problem on
    ``resolver`` with its path (``numbers.<id>.access_token``)."""
    numbers = {}
    for pnid, raw in table.items():
        token = resolver.resolve(raw.get("access_token"), f"numbers.{pnid}.access_token")
        enabled = raw.get("enabled_plugins")
        numbers[pnid] = NumberSettings(
            phone_number_id=pnid, access_token=token,
            enabled_plugins=None if enabled is None else tuple(enabled),
            plugins={name: dict(plugin) for name, plugin in raw.get("plugins", {}).items()},
            waba_id=raw.get("waba_id"), label=raw.get("label"),
            fallback_template=raw.get("fallback_template"),
            fallback_language=raw.get("fallback_language"))
    return numbers


def merged_table(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: nested tables merge key by key, anything else (a value, an
    array) replaces what ``base`` has, as one expects of a per-number override."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merged_table(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def union_of_plugins(top_level: tuple[str, ...], numbers: Mapping[str, NumberSettings]
                     ) -> tuple[str, ...]:
    """Every plugin enabled anywhere: the top-level list, then each number's new names."""
    names = list(top_level)
    for number in numbers.values():
        names.extend(name for name in number.enabled_plugins or () if name not in names)
    return tuple(names)
