"""Catalog service: the product catalog, mounted by the gateway at /api/catalog (cached).

Runs on FastAPI 0.92+ (Debian's python3-fastapi) and current releases.
"""

import os

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from request_id import install_request_id

SERVICE = "catalog"
VERSION = "0.1.0"

# ROOT_PATH is where the gateway mounts this app (e.g. /api/catalog), so /docs loads its openapi.json.
app = FastAPI(title="Catalog service", version=VERSION, root_path=os.environ.get("ROOT_PATH", ""))
install_request_id(app, SERVICE)  # echo + log X-Request-ID (request_id.py)


@app.get("/health")
def health():
    return {"status": "ok", "service": SERVICE, "version": VERSION}


class ProductIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    price: float = Field(ge=0)


class Product(ProductIn):
    id: int


products = {
    1: Product(id=1, name="Keyboard", price=49.0),
    2: Product(id=2, name="Mouse", price=19.5),
    3: Product(id=3, name="Monitor", price=189.0),
}


@app.get("/", response_model=list[Product])
def list_products():
    return list(products.values())


@app.get("/{product_id}", response_model=Product)
def get_product(product_id: int):
    if product_id not in products:
        raise HTTPException(status_code=404, detail="product not found")
    return products[product_id]


@app.post("/", response_model=Product, status_code=201)
def create_product(payload: ProductIn):
    product = Product(id=max(products, default=0) + 1, name=payload.name, price=payload.price)
    products[product.id] = product
    return product
