"""Orders service: orders placed by API consumers, mounted by the gateway at /api/orders (key-auth).

Runs on FastAPI 0.92+ (Debian's python3-fastapi) and current releases.
"""

import os
from typing import Optional

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

from request_id import install_request_id

SERVICE = "orders"
VERSION = "0.1.0"

# ROOT_PATH is where the gateway mounts this app (e.g. /api/orders), so /docs loads its openapi.json.
app = FastAPI(title="Orders service", version=VERSION, root_path=os.environ.get("ROOT_PATH", ""))
install_request_id(app, SERVICE)  # echo + log X-Request-ID (request_id.py)


@app.get("/health")
def health():
    return {"status": "ok", "service": SERVICE, "version": VERSION}


class OrderIn(BaseModel):
    product_id: int = Field(gt=0)
    quantity: int = Field(gt=0, le=1000)


class Order(OrderIn):
    id: int
    consumer: Optional[str] = None


orders = {1: Order(id=1, product_id=1, quantity=2, consumer="demo")}


@app.get("/", response_model=list[Order])
def list_orders():
    return list(orders.values())


@app.get("/{order_id}", response_model=Order)
def get_order(order_id: int):
    if order_id not in orders:
        raise HTTPException(status_code=404, detail="order not found")
    return orders[order_id]


@app.post("/", response_model=Order, status_code=201)
def create_order(payload: OrderIn, x_consumer_username: Optional[str] = Header(None)):
    """The gateway's key-auth tells us who ordered (X-Consumer-Username)."""
    order = Order(
        id=max(orders, default=0) + 1,
        product_id=payload.product_id,
        quantity=payload.quantity,
        consumer=x_consumer_username,
    )
    orders[order.id] = order
    return order
