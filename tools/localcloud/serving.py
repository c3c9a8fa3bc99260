"""Serving a WSGI application on 127.0.0.1 from a background thread, until stopped.

Every local endpoint (the AWS endpoint, each REST API, each GraphQL API, the web app and the map)
is served by a :class:`BackgroundServer`; a port already taken is one :class:`PortInUseError`.
"""

from __future__ import annotations

import errno
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


_POLL_INTERVAL_SECONDS = 0.02


class PortInUseError(OSError):
    """The port asked for is already taken; the message names it."""


class QuietRequestHandler(WSGIRequestHandler):
    # One request per connection: an idle keep-alive connection would hold a handler thread that
    # stop() then has to wait for.
    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: the application keeps its own access log."""


class BackgroundServer:
    """Runs ``app`` on ``host:port`` in a daemon thread; port 0 picks a free port.

    request_handler: werkzeug's request handler class (moto's for the AWS endpoint); by default one
    request per connection, not logged.
    name: the serving thread's name (the port is added).

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with BackgroundServer(api) as server:
            requests.get(f"{server.url}/dev/loyalty/42/get", auth=...)
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        request_handler: type[WSGIRequestHandler] = QuietRequestHandler,
        name: str = "server",
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._request_handler = request_handler
        self._name = name
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return self._server.port

    @property
    def url(self) -> str:
        """``http://HOST:PORT``, without a trailing slash."""
        return f"http://{self._host}:{self.port}"

    def start(self) -> Self:
        """Bind and start serving.

        Raises:
            PortInUseError: the port is taken.
            RuntimeError: the server is already running.
        """
        if self._server is not None:
            raise RuntimeError("the server is already running")
        listener = self._listen()
        try:
            # werkzeug binds a socket itself by printing to stderr and calling sys.exit() when the
            # port is taken; given a bound socket it does not bind at all.
            server = make_server(
                self._host,
                self._port,
                self._app,
                threaded=True,
                request_handler=self._request_handler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()  # make_server holds its own duplicate of the descriptor
        thread = threading.Thread(
            target=server.serve_forever,
            # How often the loop checks for stop(); werkzeug's default makes stopping take 0.5 s.
            kwargs={"poll_interval": _POLL_INTERVAL_SECONDS},
            name=f"{self._name}-{server.port}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; waits for requests in progress. Idempotent."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        if thread is not None:
            thread.join()
        server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _listen(self) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Lets a restarted server reuse its port while old connections linger in TIME_WAIT; it does
        # not allow binding a port another socket is listening on.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((self._host, self._port))
            listener.listen(socket.SOMAXCONN)
        except OSError as error:
            listener.close()
            if error.errno == errno.EADDRINUSE:
                raise PortInUseError(
                    error.errno, f"port {self._port} on {self._host} is already in use"
                ) from error
            raise
        return listener
