"""The ceiling reference: a bare FastAPI app that parses the batch and answers 200.

Same server stack and settings as `opencdp serve` (uvicorn, uvloop, httptools, one process,
no access log), but no auth, validation, dedupe or storage. What opencdp reaches relative
to this is the cost of doing the real work.
Usage: python bench/ingest/baseline_app.py --port 8799
"""

from __future__ import annotations

import argparse

import orjson
import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response

SUCCESS = b'{"success": true}'
app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


async def parse_and_answer(request: Request) -> Response:
    document = orjson.loads(await request.body())
    if "batch" in document and not isinstance(document["batch"], list):
        return Response(b'{"error": "bad batch"}', status_code=400)
    return Response(SUCCESS, media_type="application/json")


app.add_api_route("/v1/batch", parse_and_answer, methods=["POST"])
app.add_api_route("/v1/track", parse_and_answer, methods=["POST"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    uvicorn.run(
        app, host=args.host, port=args.port, log_config=None, access_log=False,
        loop="uvloop", http="httptools",
    )  # fmt: skip


if __name__ == "__main__":
    main()
