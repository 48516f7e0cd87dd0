"""A FastAPI app exposing a signed /ds-metrics endpoint for seqpulse.

    pip install -r requirements.txt
    SEQPULSE_HMAC_SECRET=... uvicorn app:app --port 8080
"""
import os
import time
from collections import deque

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from verify import verify

SECRETS = [s for s in (os.environ.get("SEQPULSE_HMAC_SECRET"), os.environ.get("SEQPULSE_HMAC_SECRET_PREVIOUS")) if s]
WINDOW_SECONDS = 60
app = FastAPI()
_requests = deque()  # (time, duration_ms, failed) of the last minute


@app.middleware("http")
async def measure(request: Request, call_next):
    start = time.perf_counter()
    response = await call_next(request)
    if request.url.path != "/ds-metrics":
        _requests.append((time.time(), (time.perf_counter() - start) * 1000, response.status_code >= 500))
    return response


def _percentile(values, p):
    return values[min(len(values) - 1, int(p * len(values)))] if values else 0


@app.get("/ds-metrics")
async def ds_metrics(request: Request):
    # The signed target is the path and query exactly as received.
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    reason = verify(SECRETS, request.method, target, {k.lower(): v for k, v in request.headers.items()})
    if reason is not None:
        return JSONResponse({"error": reason}, status_code=401)
    now = time.time()
    while _requests and _requests[0][0] < now - WINDOW_SECONDS:
        _requests.popleft()
    durations = sorted(d for _, d, _ in _requests)
    failed = sum(1 for _, _, f in _requests if f)
    return {"metrics": {
        "error_rate": failed / len(_requests) if _requests else 0,
        "latency_p95": _percentile(durations, 0.95),
        "latency_p99": _percentile(durations, 0.99),
        "requests_per_sec": len(_requests) / WINDOW_SECONDS,
        "version": os.environ.get("APP_VERSION", "dev"),
    }}


@app.get("/")
async def index():
    return Response("hello\n")
