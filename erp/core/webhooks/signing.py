"""How a delivery is signed, and how a receiver checks it.

Each POST carries

    X-ERP-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>

where the HMAC is keyed with the subscription's secret (UTF-8) over the
bytes "<t>.<raw body>". The same timestamp is in X-ERP-Timestamp. A receiver
recomputes the HMAC over the body exactly as received, compares in constant
time and refuses timestamps older than a few minutes (replays).
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-ERP-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """What a receiver does: True when `header` signs `body` with `secret`
    and its timestamp is within `tolerance` seconds of now."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
