"""WhatsApp Flows: the encrypted data-exchange endpoint, its keys, flow tokens and handlers.

Plugins import from here: ``FlowHandlers`` to answer Flow requests, ``FlowTokens`` to issue the
``flow_token`` of a Flow message, ``check_flow_json`` to test a Flow JSON document.
"""

from __future__ import annotations

from botkit.flows.crypto import (
    DecryptedRequest,
    FlowRequestError,
    decrypt_request,
    encrypt_response,
)
from botkit.flows.endpoint import FlowErrorNotification, FlowsEndpoint
from botkit.flows.flow_json import check_flow_json
from botkit.flows.handlers import (
    BACK,
    DATA_EXCHANGE,
    INIT,
    FlowHandlerConflictError,
    FlowHandlerError,
    FlowHandlers,
    FlowRequest,
    FlowResponse,
    NoFlowHandlerError,
)
from botkit.flows.keys import (
    FlowKeyError,
    NotRSAKeyError,
    PassphraseRequiredError,
    UnexpectedPassphraseError,
    UnreadableKeyError,
    WeakKeyError,
    WrongPassphraseError,
    generate_key_pair,
    load_private_key,
    public_key_pem,
    token_secret_from_key,
)
from botkit.flows.metrics import FlowMetrics
from botkit.flows.tokens import FlowTokenClaims, FlowTokenError, FlowTokens

__all__ = [
    "BACK",
    "DATA_EXCHANGE",
    "INIT",
    "DecryptedRequest",
    "FlowErrorNotification",
    "FlowHandlerConflictError",
    "FlowHandlerError",
    "FlowHandlers",
    "FlowKeyError",
    "FlowMetrics",
    "FlowRequest",
    "FlowRequestError",
    "FlowResponse",
    "FlowTokenClaims",
    "FlowTokenError",
    "FlowTokens",
    "FlowsEndpoint",
    "NoFlowHandlerError",
    "NotRSAKeyError",
    "PassphraseRequiredError",
    "UnexpectedPassphraseError",
    "UnreadableKeyError",
    "WeakKeyError",
    "WrongPassphraseError",
    "check_flow_json",
    "decrypt_request",
    "encrypt_response",
    "generate_key_pair",
    "load_private_key",
    "public_key_pem",
    "token_secret_from_key",
]
