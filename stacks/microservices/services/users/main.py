"""Users service: user accounts, mounted by the gateway at /api/users.

Runs on FastAPI 0.92+ (Debian's python3-fastapi) and current releases.
"""

import os

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from request_id import install_request_id

SERVICE = "users"
VERSION = "0.1.0"

# ROOT_PATH is where the gateway mounts this app (e.g. /api/users), so /docs loads its openapi.json.
app = FastAPI(title="Users service", version=VERSION, root_path=os.environ.get("ROOT_PATH", ""))
install_request_id(app, SERVICE)  # echo + log X-Request-ID (request_id.py)


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
