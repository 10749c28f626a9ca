"""Request ids and one JSON log line per request, for a FastAPI app behind the gatestack gateway.

Caddy gives every request an X-Request-ID and the gateway passes it on unchanged; the app
echoes it in its response and logs it, so one id follows a request through every layer.
"""

import json
import logging
import os
import time
import uuid

from fastapi import FastAPI, Request


def install_request_id(app: FastAPI, service: str) -> None:
    log = logging.getLogger(service)
    log.addHandler(logging.StreamHandler())  # one JSON object per line on stderr, next to uvicorn's logs
    log.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
    log.propagate = False

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        rid = request.headers.get("x-request-id") or str(uuid.uuid4())
        started = time.perf_counter()
        response = await call_next(request)
        response.headers["X-Request-ID"] = rid
        log.info(
            json.dumps(
                {
                    "service": service,
                    "request_id": rid,
                    "method": request.method,
                    "path": request.scope["path"],
                    "status": response.status_code,
                    "consumer": request.headers.get("x-consumer-username"),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }
            )
        )
        return response
