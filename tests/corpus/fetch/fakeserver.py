"""A tiny routing HTTP server on 127.0.0.1 that imitates the literature APIs in tests."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to sleep before answering (timeouts)


Handler = Callable[[dict[str, str]], Reply]
Route = Reply | Handler | list[Reply]


class FakeServer:
    """``routes[path]`` is a Reply, a function of the query, or a list of Replies served in turn
    (the last one repeats). ``hits[path]`` counts requests."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.log: list[tuple[str, dict[str, str]]] = []
        self._served: Counter[str] = Counter()
        self._lock = threading.Lock()
        outer = self

        class _H(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                reply = outer._reply(parts.path, query)
                if reply.delay:
                    time.sleep(reply.delay)
                body = reply.body.encode() if isinstance(reply.body, str) else reply.body
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        class _S(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass

        self.httpd = _S(("127.0.0.1", 0), _H)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def _reply(self, path: str, query: dict[str, str]) -> Reply:
        with self._lock:
            self.hits[path] += 1
            self.log.append((path, query))
            route = self.routes.get(path)
            if route is None:
                return Reply(404, '{"error": "not found"}', {"Content-Type": "application/json"})
            if isinstance(route, list):
                i = min(self._served[path], len(route) - 1)
                self._served[path] += 1
                return route[i]
        return route if isinstance(route, Reply) else route(query)

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
