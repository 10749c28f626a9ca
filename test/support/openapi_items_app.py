"""A tiny FastAPI app for the OpenAPI import tests (test/stack/openapi/): started with
`python3 -m uvicorn openapi_items_app:app --app-dir test/support`; it serves /openapi.json."""

from fastapi import FastAPI

app = FastAPI(title="Items API", version="1.0.0")


@app.get("/health")
def health():
    return {"status": "ok"}


@app.get("/items/{item_id}", tags=["items"])
def read_item(item_id: int):
    return {"item_id": item_id}


@app.put("/items/{item_id}", tags=["items"])
def update_item(item_id: int, name: str):
    return {"item_id": item_id, "name": name}


@app.get("/users/me", tags=["users"], operation_id="read_current_user")
def me():
    return {"user": "me"}
