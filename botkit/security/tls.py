"""TLS for ``botkit serve``, and Meta's mutual TLS checked during the handshake.

Python's ``ssl`` module verifies the client's chain (``CERT_REQUIRED`` against ``client_ca``) but
has no hook for the subject name. The context therefore makes its TLS objects from a subclass of
:class:`ssl.SSLObject` whose handshake fails when the verified certificate names anyone but
``client_cn``. uvicorn and hypercorn (on asyncio or uvloop) both drive the handshake through
``SSLContext.wrap_bio``, so a wrong name ends the connection before any HTTP byte is read: the
app never sees it.

Behind a TLS-terminating proxy the same name check runs on the subject the proxy forwards in a
header; :func:`common_names_in_dn` reads the usual spellings of that subject.
"""

from __future__ import annotations

import logging
import ssl
from typing import TYPE_CHECKING

from botkit.security.names import (
    CERTIFICATE_REASONS,
    META_CLIENT_CN,
    names_match,
    ssl_reason,
    subject_common_names,
)

if TYPE_CHECKING:
    from botkit.settings import ServerSettings

log = logging.getLogger("botkit.tls")

def server_context(server: ServerSettings) -> ssl.SSLContext | None:
    """The TLS context of ``server``; None when no certificate is configured (plain HTTP).

    With ``client_ca`` set, a client must present a certificate that chains to that bundle and
    whose subject common name is ``client_cn``; any other handshake fails.
    """
    if not server.certfile:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.options |= ssl.OP_NO_COMPRESSION | ssl.OP_NO_RENEGOTIATION
    context.load_cert_chain(server.certfile, server.keyfile)
    context.set_alpn_protocols(["http/1.1"])
    if server.client_ca:
        context.load_verify_locations(cafile=server.client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
        context.sslobject_class = _name_checking_class(server.client_cn)
    return context


# -- the handshake-time name check -------------------------------------------------------------


class _ClientNameCheck(ssl.SSLObject):
    """An SSLObject whose server-side handshake also requires the client's common name."""

    expected_name: str = META_CLIENT_CN

    def do_handshake(self) -> None:
        try:
            super().do_handshake()
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            raise
        except ssl.SSLError as exc:
            if getattr(exc, "reason", None) in CERTIFICATE_REASONS:
                log.warning("TLS client refused: %s", ssl_reason(exc))
            raise
        names = subject_common_names(self.getpeercert())
        if not names_match(names, self.expected_name):
            shown = ", ".join(names) or "no common name"
            log.warning("TLS client refused: its certificate names %s, not %s", shown,
                        self.expected_name)
            raise ssl.SSLCertVerificationError(
                f"client certificate common name is {shown}, expected {self.expected_name}")


def _name_checking_class(expected_name: str) -> type[ssl.SSLObject]:
    return type("ClientNameCheck", (_ClientNameCheck,), {"expected_name": expected_name})


