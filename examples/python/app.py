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
    return values[min(len(values) - 1, int(p * len(values)))]


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
    metrics = {
        "requests_per_sec": len(_requests) / WINDOW_SECONDS,
        "version": os.environ.get("APP_VERSION", "dev"),
    }
    # No request in the window: no error rate and no latency. A 0 would read as "measured, and
    # perfect"; a metric left out reads as "unknown" (docs/integration.md).
    if _requests:
        metrics["error_rate"] = failed / len(_requests)
        metrics["latency_p95"] = _percentile(durations, 0.95)
        metrics["latency_p99"] = _percentile(durations, 0.99)
    memory = _memory_share()
    if memory is not None:
        metrics["memory_usage"] = memory
    return {"metrics": metrics}


def _memory_share():
    """Resident memory as a share of the machine's (0.42 = 42 %), not megabytes; None where unknown."""
    try:
        with open("/proc/self/statm") as statm:
            resident_pages = int(statm.read().split()[1])
        return round(resident_pages / os.sysconf("SC_PHYS_PAGES"), 4)
    except (OSError, ValueError, IndexError):
        return None  # not Linux: left out, never a made-up 0


@app.get("/")
async def index():
    return Response("hello\n")
