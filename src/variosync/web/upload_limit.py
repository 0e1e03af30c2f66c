"""The size limit on the dashboard's file uploads, enforced while the body arrives.

NiceGUI's upload route reads the whole multipart body (spooled to disk) before the page's
handler can look at it, and the browser-side limit is the browser's word only. This middleware
refuses a body over the limit as it streams in — at once when its ``Content-Length`` says so,
else at the first byte past it — with 413, before it is stored anywhere.
"""

from __future__ import annotations

import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from variosync.api.errors import error_body

UPLOAD_PATH = re.compile(r"^/_nicegui/client/[^/]+/upload/[^/]+$")
FORM_OVERHEAD = 64 * 1024
"""Bytes a multipart body may hold beyond its files (boundaries, part headers)."""


class UploadLimit:
    """Refuse dashboard upload bodies over ``limit`` bytes (plus the form's overhead)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit + FORM_OVERHEAD
        self.files_limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not UPLOAD_PATH.match(str(scope["path"]))
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        over = started = False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    return {"type": "http.disconnect"}  # the form parser stops reading
            return message

        async def answer(message: Message) -> None:
            nonlocal started
            if over:
                return  # the app's reply to a body it never got whole: ours goes instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, answer)
        except Exception:
            if not over:
                raise
        if over and not started:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit_mib = self.files_limit / 2**20
        body = error_body(
            "too_large",
            f"the upload is over the limit of {limit_mib:.1f} MiB",
            "upload fewer or smaller files at once (VARIOSYNC_UPLOAD_MAX_BYTES)",
        )
        await JSONResponse(body, status_code=413)(scope, receive, send)
