"""The live view's own channel: one Starlette route that `app.py` mounts through `st.App`.

`GET /_nnp/live/{token}?v=VERSION&n=ROWS,ROWS…` answers 200 with a JSON reply when something
changed, 204 when nothing did, and 404 when the feed is gone (a new job or a reloaded page);
the browser then asks the page for a rerun. Frames are built in Starlette's thread pool, never
on the event loop, so a slow frame cannot stall other students' pages.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from playground.live.feeds import lookup

LIVE_PATH = "/_nnp/live"
NO_STORE = {"Cache-Control": "no-store"}


def _rows_param(text: str) -> list[int]:
    try:
        return [max(0, int(part)) for part in text.split(",") if part][:16]
    except ValueError:
        return []


def live_frame(request: Request) -> Response:
    feed = lookup(request.path_params["token"])
    if feed is None:
        return Response(b'{"gone":true}', status_code=404, media_type="application/json",
                        headers=NO_STORE)
    reply = feed.poll(request.query_params.get("v"), _rows_param(request.query_params.get("n",
                                                                                          "")))
    if reply is None:
        return Response(status_code=204, headers=NO_STORE)
    body = json.dumps(reply, separators=(",", ":"), allow_nan=False)
    return Response(body, media_type="application/json", headers=NO_STORE)


ROUTES = [Route(LIVE_PATH + "/{token}", live_frame, methods=["GET"])]
