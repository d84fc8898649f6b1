"""Per-client rate limiting of searches: a token bucket per client address, bounded in memory."""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class RateLimiter:
    """Allows `per_minute` searches a minute per client on average, and bursts of up to `burst`."""

    def __init__(self, per_minute: int, burst: int, max_clients: int = 10_000) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self.max_clients = max_clients
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None, take: bool = True) -> int:
        """0 when the request may go ahead (and is counted, unless `take` is false), else the whole
        seconds to wait."""
        now = time.monotonic() if now is None else now
        with self.lock:
            tokens, last = self.buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            if allowed and take:
                tokens -= 1.0
            self.buckets[client] = (tokens, now)
            while len(self.buckets) > self.max_clients:
                self.buckets.popitem(last=False)
        return 0 if allowed else max(1, math.ceil((1.0 - tokens) / self.rate))
