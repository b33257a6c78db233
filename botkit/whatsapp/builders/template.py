"""An approved message template (``template``), the only message allowed outside the customer's
24-hour window. The components are passed through as Meta's objects, unchecked."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import MessageBuildError

NAME_LIMIT = 512


@dataclass(frozen=True, slots=True)
class Template(MessageBuilder):
    """Template ``name`` in ``language`` (``"en_US"``), with Meta's ``components`` objects
    (``[{"type": "body", "parameters": [...]}]``) as they are."""

    name: str
    language: str
    components: Sequence[Mapping[str, Any]] = field(default=())

    def __post_init__(self) -> None:
        check.text(self.name, "template name", NAME_LIMIT)
        check.text(self.language, "template language code")
        components = tuple(self.components)
        if not all(isinstance(component, Mapping) for component in components):
            raise MessageBuildError("template components", "must be mappings (Meta's objects)")
        try:
            frozen = tuple(json.loads(json.dumps(dict(c))) for c in components)
        except (TypeError, ValueError):
            raise MessageBuildError("template components", "must be JSON-serialisable") from None
        object.__setattr__(self, "components", frozen)

    def to_body(self) -> dict[str, Any]:
        template: dict[str, Any] = {"name": self.name, "language": {"code": self.language}}
        if self.components:
            template["components"] = json.loads(json.dumps(list(self.components)))
        return {"type": "template", "template": template}
