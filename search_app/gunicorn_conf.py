"""gunicorn settings for `make serve`: one model and index per worker, one compute thread each."""
import os

from gunicorn import util

from search_app.settings import server_setting

# Compute libraries read these when they load, in each worker: one thread each, so that workers
# do not fight over the cores (measured: two threads per process ran slower under load on 2 cores).
for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(name, "1")

bind = f"{server_setting('HOST')}:{server_setting('PORT')}"
workers = server_setting("WORKERS") or os.cpu_count() or 1
# An event-loop worker: a connection that sends its request slowly waits in the loop and holds no
# thread, so 50 such clients leave searches and /healthz answering in milliseconds (the threaded
# worker stopped answering). A search computes on one core without yielding, so each worker still
# runs one search at a time, which is what one compute thread per worker wants anyway.
worker_class = server_setting("WORKER_CLASS")
worker_connections = server_setting("WORKER_CONNECTIONS")
timeout = 30
graceful_timeout = 20
# No keep-alive: every request is a new connection, which the kernel hands to whichever worker is
# free. With keep-alive each worker kept the connections it had accepted, however many, and at 16
# concurrent clients the 95th percentile was 1.3 s against a median of 20 ms (0 s: 176 ms and 147 ms).
keepalive = 0
# The longest request line gunicorn reads: a question of 500 characters outside the BMP (12 bytes each
# when URL-encoded) still reaches the app, which answers the length itself.
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
max_requests = 0
accesslog = server_setting("ACCESS_LOG")


def write_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own answers to requests it refuses before the app runs (400, 414, 431): plain text with
    the app's security headers, instead of gunicorn's small HTML page without them."""
    from search_app.web.hooks import SECURITY_HEADERS

    body = f"{status_int} {reason}\n".encode("latin1")
    headers = {"Connection": "close", "Content-Type": "text/plain; charset=utf-8", "Content-Length": len(body),
               "Cache-Control": "no-store", **SECURITY_HEADERS}
    head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    util.write_nonblock(sock, head.encode("latin1") + body)


util.write_error = write_error


def post_fork(server, worker) -> None:
    """Each worker computes on COMPUTE_THREADS threads (ONNX Runtime, FAISS), set before the app loads."""
    from search_index.format import set_search_threads

    set_search_threads(server_setting("COMPUTE_THREADS"))

