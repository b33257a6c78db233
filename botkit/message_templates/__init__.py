"""WhatsApp message templates: typed parameters, a local cache of the account's templates,
and a check of every send against it before any Graph API call.

Plugins use :class:`Template` with its parameter types and :func:`checked_template`; the
``botkit templates`` commands fill and inspect the cache; :func:`template_target` keeps it
current from the template webhooks.
"""

from __future__ import annotations

from botkit.message_templates.backends import open_template_cache, open_template_cache_admin
from botkit.message_templates.cache import TemplateCache
from botkit.message_templates.definitions import TemplateDefinition
from botkit.message_templates.errors import (
    ExtraParameter,
    InvalidParameterValue,
    LanguageNotAvailable,
    MissingParameter,
    NoTemplateAccount,
    ParameterError,
    TemplateDefinitionInvalid,
    TemplateDisabled,
    TemplateError,
    TemplateNotApproved,
    TemplateNotSendable,
    TemplatePaused,
    UnknownTemplate,
    UnsupportedTemplate,
    WrongParameterType,
)
from botkit.message_templates.message import Template
from botkit.message_templates.parameters import (
    CopyCode,
    Currency,
    DateTime,
    Document,
    FlowButton,
    Image,
    Location,
    QuickReply,
    Text,
    UrlButton,
    Video,
)
from botkit.message_templates.records import CachedTemplate
from botkit.message_templates.sending import check_before_send, checked_template, template_cache
from botkit.message_templates.target import TEMPLATES_TARGET, template_target

__all__ = [
    "TEMPLATES_TARGET",
    "CachedTemplate",
    "CopyCode",
    "Currency",
    "DateTime",
    "Document",
    "ExtraParameter",
    "FlowButton",
    "Image",
    "InvalidParameterValue",
    "LanguageNotAvailable",
    "Location",
    "MissingParameter",
    "NoTemplateAccount",
    "ParameterError",
    "QuickReply",
    "Template",
    "TemplateCache",
    "TemplateDefinition",
    "TemplateDefinitionInvalid",
    "TemplateDisabled",
    "TemplateError",
    "TemplateNotApproved",
    "TemplateNotSendable",
    "TemplatePaused",
    "Text",
    "UnknownTemplate",
    "UnsupportedTemplate",
    "UrlButton",
    "Video",
    "WrongParameterType",
    "check_before_send",
    "checked_template",
    "open_template_cache",
    "open_template_cache_admin",
    "template_cache",
    "template_target",
]
