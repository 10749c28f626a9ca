"""Users service: user accounts, mounted by the gateway at /api/users.

Runs on FastAPI 0.92+ (Debian's python3-fastapi) and current releases.
"""

import json
import logging
import os
import time
import uuid

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

SERVICE = "users"
VERSION = "0.1.0"

log = logging.getLogger(SERVICE)
log.addHandler(logging.StreamHandler())  # one JSON object per line on stderr, next to uvicorn's own logs
log.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
log.propagate = False

# ROOT_PATH is where the gateway mounts this app (e.g. /api/users), so /docs loads its openapi.json.
app = FastAPI(title="Users service", version=VERSION, root_path=os.environ.get("ROOT_PATH", ""))


@app.middleware("http")
async def request_id(request: Request, call_next):
    """Echo X-Request-ID (set by Caddy/the gateway, or made here) and log one JSON line per request."""
    rid = request.headers.get("x-request-id") or str(uuid.uuid4())
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["X-Request-ID"] = rid
    log.info(
        json.dumps(
            {
                "service": SERVICE,
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


@app.get("/health")
def health():
    return {"status": "ok", "service": SERVICE, "version": VERSION}


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(min_length=3, max_length=254)


class User(UserIn):
    id: int


users = {
    1: User(id=1, name="Ada Lovelace", email="ada@example.com"),
    2: User(id=2, name="Alan Turing", email="alan@example.com"),
}


@app.get("/", response_model=list[User])
def list_users():
    return list(users.values())


@app.get("/{user_id}", response_model=User)
def get_user(user_id: int):
    if user_id not in users:
        raise HTTPException(status_code=404, detail="user not found")
    return users[user_id]


@app.post("/", response_model=User, status_code=201)
def create_user(payload: UserIn):
    user = User(id=max(users, default=0) + 1, name=payload.name, email=payload.email)
    users[user.id] = user
    return user
