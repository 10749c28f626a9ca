"""The monolith: one FastAPI app behind the gateway at /api.

Runs on FastAPI 0.92+ (Debian's python3-fastapi) and current releases.
"""

import os
from typing import Optional

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

from request_id import install_request_id

SERVICE = "app"
VERSION = "0.1.0"

# ROOT_PATH is where the gateway mounts this app (e.g. /api), so /docs loads /api/openapi.json.
app = FastAPI(title="App", version=VERSION, root_path=os.environ.get("ROOT_PATH", ""))
install_request_id(app, SERVICE)  # echo + log X-Request-ID (request_id.py)


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0)


class Item(ItemIn):
    id: int


items = {
    1: Item(id=1, name="Keyboard", price=49.0),
    2: Item(id=2, name="Mouse", price=19.5),
}


@app.get("/health")
def health():
    return {"status": "ok", "service": SERVICE, "version": VERSION}


@app.get("/items", response_model=list[Item])
def list_items():
    return list(items.values())


@app.get("/items/{item_id}", response_model=Item)
def get_item(item_id: int):
    if item_id not in items:
        raise HTTPException(status_code=404, detail="item not found")
    return items[item_id]


@app.post("/items", response_model=Item, status_code=201)
def create_item(payload: ItemIn):
    item = Item(id=max(items, default=0) + 1, name=payload.name, price=payload.price)
    items[item.id] = item
    return item


@app.get("/private/whoami")
def whoami(
    x_consumer_username: Optional[str] = Header(None),
    x_consumer_id: Optional[str] = Header(None),
    x_consumer_custom_id: Optional[str] = Header(None),
):
    """Behind key-auth: the gateway tells the app who called."""
    return {"username": x_consumer_username, "id": x_consumer_id, "custom_id": x_consumer_custom_id}
