"""A closed-loop HTTP load generator: N clients, each sending its next request
as soon as the previous answer arrived, for a fixed time, over keep-alive
connections. Threads are enough: the client waits on the network, and the
server under test runs in its own processes."""

import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# (method, path, body, headers) for the request number `n` of client `c`.
RequestMaker = Callable[[int, int], tuple[str, str, bytes | None, dict]]


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def summary(self) -> dict:
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "errors": self.errors,
            "throughput_per_s": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 1),
            "p95_ms": round(self.percentile(95), 1),
            "p99_ms": round(self.percentile(99), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else 0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def run_load(
    host: str,
    port: int,
    make_request: RequestMaker,
    *,
    clients: int,
    seconds: float,
    ok: Callable[[int], bool] = lambda status: 200 <= status < 300,
) -> LoadResult:
    """Run `clients` closed loops for `seconds`; an answer `ok` refuses counts
    as an error, and so does a broken connection (the client reconnects)."""
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    result = LoadResult(clients=clients, seconds=seconds)

    def loop(client: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        latencies, statuses, errors, n = [], {}, 0, 0
        while time.monotonic() < deadline:
            method, path, body, headers = make_request(client, n)
            n += 1
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                status = answer.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
                errors += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if not ok(status):
                errors += 1
        connection.close()
        with lock:
            result.requests += len(latencies)
            result.errors += errors
            result.latencies_ms.extend(latencies)
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count

    threads = [threading.Thread(target=loop, args=(c,)) for c in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result
