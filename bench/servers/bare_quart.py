"""A bare Quart app doing what the raw ASGI baseline does, to price the framework itself."""

from __future__ import annotations

from quart import Quart, Response, request
from webhook_check import challenge_answer, required_env, webhook_status


def create_app(secret: str, verify_token: str, path: str = "/webhook") -> Quart:
    """One route, two methods: Meta's GET handshake and the signed POST."""
    app = Quart(__name__)
    key = secret.encode("utf-8")

    @app.post(path)
    async def receive_webhook() -> Response:
        body = await request.get_data()
        status = webhook_status(key, body, request.headers.get("X-Hub-Signature-256"))
        return Response(b"", status=status, content_type="text/plain")

    @app.get(path)
    async def verify_webhook() -> Response:
        args = request.args
        if challenge_answer(verify_token, args.get("hub.mode"), args.get("hub.verify_token")):
            return Response(args.get("hub.challenge", ""), status=200, content_type="text/plain")
        return Response("forbidden", status=403, content_type="text/plain")

    return app


app = create_app(required_env("WHATSAPP_APP_SECRET"), required_env("WHATSAPP_VERIFY_TOKEN"))
