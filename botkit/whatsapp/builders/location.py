"""A location pin (``location``): coordinates, with an optional name and address."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from botkit.whatsapp.builders import _checks as check
from botkit.whatsapp.builders.base import MessageBuilder
from botkit.whatsapp.builders.errors import InvalidLocation


@dataclass(frozen=True, slots=True)
class Location(MessageBuilder):
    """A map pin at ``latitude`` (-90..90) and ``longitude`` (-180..180) degrees."""

    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        for value, field, bound in ((self.latitude, "latitude", 90),
                                    (self.longitude, "longitude", 180)):
            if isinstance(value, bool) or not isinstance(value, int | float) or (
                    not math.isfinite(value) or abs(value) > bound):
                raise InvalidLocation(f"location {field}",
                                      f"must be a number from -{bound} to {bound}, got {value!r}")
        check.optional_text(self.name, "location name")
        check.optional_text(self.address, "location address")

    def to_body(self) -> dict[str, Any]:
        location: dict[str, Any] = {"latitude": self.latitude, "longitude": self.longitude}
        if self.name is not None:
            location["name"] = self.name
        if self.address is not None:
            location["address"] = self.address
        return {"type": "location", "location": location}
