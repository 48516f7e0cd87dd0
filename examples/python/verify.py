"""Verifying seqpulse's signed /ds-metrics requests (SPEC section 4), standard library only.

Run `python3 verify.py` to check this implementation against the test vectors in docs/signature.md.
"""
import hashlib
import hmac
import re
import time

MAX_SKEW_SECONDS = 300
_SIG = re.compile(r"^v1=[0-9a-f]{64}$")
_seen = {}  # nonce -> timestamp; one process only (use a shared store across replicas)


def canonical(timestamp, nonce, method, target):
    return "\n".join(["v1", str(timestamp), nonce, method.upper(), target])


def sign(secret, timestamp, nonce, method, target):
    return hmac.new(secret.encode(), canonical(timestamp, nonce, method, target).encode(), hashlib.sha256).hexdigest()


def verify(secrets, method, target, headers, now=None):
    """Returns None when the request is authentic, else the reason it is not.

    headers: a mapping with lower-case keys. target: path and query exactly as received.
    """
    now = time.time() if now is None else now
    ts, nonce, signature = (headers.get(h) for h in ("x-seqpulse-timestamp", "x-seqpulse-nonce", "x-seqpulse-signature"))
    if not ts or not nonce or not signature:
        return "missing_headers"
    if not re.fullmatch(r"\d{1,12}", ts):
        return "bad_timestamp"
    if abs(int(now) - int(ts)) > MAX_SKEW_SECONDS:
        return "stale_timestamp"
    if not re.fullmatch(r"[0-9a-f]{32}", nonce):
        return "bad_nonce"
    offered = [v.strip()[3:] for v in signature.split(",") if _SIG.match(v.strip())]
    matched = False
    for secret in secrets:
        expected = sign(secret, ts, nonce, method, target)
        for value in offered:
            # compare_digest is constant-time; every pair is compared, no early exit.
            matched = hmac.compare_digest(expected, value) or matched
    if not matched:
        return "bad_signature"
    if nonce in _seen:
        return "replayed_nonce"
    _seen[nonce] = int(ts)
    for old, old_ts in list(_seen.items()):
        if int(ts) - old_ts > 2 * MAX_SKEW_SECONDS:
            del _seen[old]
    return None


def _self_test():
    nonce = "0123456789abcdef0123456789abcdef"
    vectors = [
        ("seqpulse-test-secret", "/ds-metrics", "b71d52b2dd32bb443a130d2ebdc41eb40a1ac1f8e678a34993e7137d8d87c597"),
        ("seqpulse-test-secret", "/ds-metrics?instance=a", "c8c977365e2c0233b8bcc70d217132fae7a580db6e5a84bcb86c5ccaeca96417"),
        ("seqpulse-next-secret", "/ds-metrics?instance=a", "bc4af65df682566e4b0338f01a1aa0b390e8a0e7c3289e77dac09f962aee8a5b"),
    ]
    for secret, target, expected in vectors:
        assert sign(secret, 1700000000, nonce, "GET", target) == expected, (secret, target)
    headers = {"x-seqpulse-timestamp": "1700000000", "x-seqpulse-nonce": nonce,
               "x-seqpulse-signature": "v1=" + vectors[1][2] + ",v1=" + vectors[2][2]}
    assert verify(["seqpulse-next-secret"], "GET", "/ds-metrics?instance=a", headers, now=1700000010) is None
    assert verify(["seqpulse-next-secret"], "GET", "/ds-metrics?instance=a", headers, now=1700000010) == "replayed_nonce"
    assert verify(["wrong"], "GET", "/ds-metrics?instance=a", dict(headers, **{"x-seqpulse-nonce": "f" * 32}), now=1700000010) == "bad_signature"
    assert verify(["seqpulse-test-secret"], "GET", "/ds-metrics?instance=a", headers, now=1700000400) == "stale_timestamp"
    print("ok: test vectors and verification rules hold")


if __name__ == "__main__":
    _self_test()
