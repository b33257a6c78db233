"""Why a template message cannot go out, said before any Graph API call.

Meta refuses a template send with codes 132000-132016 after the request was made (and counted
against the rate limits); these errors say the same thing earlier and name the part that is
wrong. All derive from :class:`TemplateError`, which is also a :class:`botkit.PermanentError`:
retrying the same send cannot succeed until the template or the call changes, so a handler that
lets one through goes straight to the dead letters instead of being retried.
"""

from __future__ import annotations

from collections.abc import Sequence

from botkit.errors import BotkitError, PermanentError


class TemplateError(BotkitError, PermanentError):
    """Base class: a template message or definition that cannot be used as it is."""


class NoTemplateAccount(TemplateError):
    """Which WhatsApp Business Account's templates to use is not known (no ``waba_id``)."""


class UnknownTemplate(TemplateError):
    """The template is not in the local cache of the account (or only partly known)."""

    def __init__(self, message: str, *, name: str, waba_id: str) -> None:
        super().__init__(message)
        self.name = name
        self.waba_id = waba_id


class LanguageNotAvailable(TemplateError):
    """The template exists, but not in the language asked for; ``available`` lists those it has."""

    def __init__(self, message: str, *, name: str, language: str,
                 available: Sequence[str]) -> None:
        super().__init__(message)
        self.name = name
        self.language = language
        self.available = tuple(available)


class TemplateNotSendable(TemplateError):
    """The template's status does not allow sending it; ``status`` is Meta's status."""

    def __init__(self, message: str, *, name: str, language: str, status: str) -> None:
        super().__init__(message)
        self.name = name
        self.language = language
        self.status = status


class TemplatePaused(TemplateNotSendable):
    """Paused by Meta for low quality (Meta's 132015)."""


class TemplateDisabled(TemplateNotSendable):
    """Disabled by Meta (Meta's 132016)."""


class TemplateNotApproved(TemplateNotSendable):
    """Pending review, rejected, in appeal, deleted or otherwise not approved (Meta's 132001)."""


class UnsupportedTemplate(TemplateError):
    """The template has a part typed sending does not model (carousel, catalog, offer...)."""


class ParameterError(TemplateError):
    """A parameter does not fit the template: the class says how, ``problems`` lists every one
    found (the first one decided the class)."""

    def __init__(self, problems: Sequence[str], *, name: str, language: str) -> None:
        self.problems = list(problems)
        self.name = name
        self.language = language
        head = f"template {name!r} ({language}): {self.problems[0]}"
        more = "".join(f"; also: {problem}" for problem in self.problems[1:])
        super().__init__(head + more)


class MissingParameter(ParameterError):
    """The template needs a parameter that was not given."""


class ExtraParameter(ParameterError):
    """A parameter was given that the template has no place for."""


class WrongParameterType(ParameterError):
    """A parameter of the wrong kind (an image where the header is a video, a quick-reply
    payload for a URL button, positional values for named parameters...)."""


class InvalidParameterValue(ParameterError):
    """A parameter of the right kind whose value Meta would refuse (empty, too long, a line
    break in a body text, a currency code that is not three letters...)."""


class TemplateDefinitionInvalid(TemplateError):
    """A template definition to create has problems; ``problems`` lists every one, each with the
    JSON path where it is."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"the template definition has {len(self.problems)} problem(s): "
                         + "; ".join(self.problems))
