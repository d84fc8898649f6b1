"""A time limit for everything one page's fetch takes, retries included: the sockets its requests use
are watched and shut down when the time is up, so a server that trickles bytes is cut off (a per-read
timeout never trips on it). `Adapter` is the requests adapter whose connections are watched."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_watched = threading.local()


class _Watched:
    """A connection that puts its socket on the current fetch's list, so a time limit can cut it."""

    def request(self, *args, **kwargs):
        sockets = getattr(_watched, "sockets", None)
        if sockets is not None and self.sock is not None:
            sockets.append(self.sock)
        return super().request(*args, **kwargs)

    def connect(self):
        super().connect()
        sockets = getattr(_watched, "sockets", None)
        if sockets is not None:
            sockets.append(self.sock)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


@contextmanager
def time_limit(seconds: float) -> Iterator[threading.Event]:
    """Shut down every socket the enclosed requests use once `seconds` have passed: a server that
    sends a byte now and then can hold a read for ever, never tripping the per-read timeout."""
    sockets: list[socket.socket] = []
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    outer = getattr(_watched, "sockets", None)
    _watched.sockets = sockets
    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        timer.cancel()
        _watched.sockets = outer
