"""A server that answers what the document does not describe: the bundled simulator plus extras.

Middleware that adds an attribute to every record and a header to every answer, the way
ActiveCampaign might one day; everything the document does describe is left as it was, so a
client keeps working and only the drift report should notice.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXTRA_ATTRIBUTE = "contact_delta"
EXTRA_HEADER = "x-count-source"


class AddsUndocumentedFields:
    """ASGI middleware: `attributes.contact_delta` on each record, `X-Count-Source` everywhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}

        async def rewrite(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            body = message.get("body", b"")
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and isinstance(parsed.get("data"), list):
                for record in parsed["data"]:
                    if isinstance(record, dict) and isinstance(record.get("attributes"), dict):
                        record["attributes"][EXTRA_ATTRIBUTE] = 3
                body = json.dumps(parsed).encode()
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers += [
                (b"content-length", str(len(body)).encode()),
                (EXTRA_HEADER.encode(), b"db"),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, rewrite)


def add_undocumented_fields(app: Any) -> Any:
    """`app` (a Starlette simulator app) with the middleware; the same app object, for its state."""
    app.add_middleware(AddsUndocumentedFields)
    return app
