"""The ceiling for the ingress benchmark: a bare FastAPI POST answering 200, nothing else.

uvicorn bare_app:app --app-dir bench
"""

from fastapi import FastAPI, Response

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.post("/slack/events")
async def slack_events() -> Response:
    return Response(status_code=200)


@app.get("/healthz")
async def healthz() -> Response:
    return Response(content=b"ok", status_code=200)
