"""Serving the rating app with uvicorn: the listening socket, workers, slow clients, the links.

``make_server`` binds the address itself (so port 0, IPv6 and a busy port are handled before
anything starts, and the links name the real port) and hands the socket to uvicorn: one
process serving ``web.asgi_app`` by default, or several worker processes that each build the
app with ``web.app_from_env``, both speaking ``protocol.RatingProtocol``.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from uvicorn.supervisors import Multiprocess

from ganforge.errors import GanforgeError
from ganforge.rate.middleware import REQUEST_TIMEOUT_S
from ganforge.rate.protocol import RatingConfig
from ganforge.rate.rating import DEFAULT_LIMITS, Limits, RatingApp
from ganforge.rate.study import Study
from ganforge.rate.web import ENV_OPTIONS, ENV_STUDY, asgi_app, options_json

WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # "every interface": an address to bind, not to visit
KEEP_ALIVE_S = 5  # an idle keep-alive connection is closed after this long
# a worker must answer uvicorn's health check within this long, also while it starts: each
# imports the package (PyTorch included), which takes more than uvicorn's default 5 s on a
# busy machine, and a worker that misses the check is killed and started again
WORKER_HEALTHCHECK_S = 60


def url_host(host: str) -> str:
    """``host`` as it goes in a URL: IPv6 addresses in brackets."""
    return f"[{host}]" if ":" in host else host


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (IPv6 for an IPv6 host; ``::`` also takes IPv4 where allowed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and hasattr(socket, "IPV6_V6ONLY"):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise GanforgeError(
            f"cannot listen on {url_host(host)}:{port} ({reason}); pass --port or --host"
        ) from exc
    sock.set_inheritable(True)
    return sock


class RatingServer:
    """The bound socket, the uvicorn server(s) behind it and the links raters use."""

    def __init__(
        self,
        app: RatingApp,
        sock: socket.socket,
        config: RatingConfig,
        public_url: str | None = None,
    ) -> None:
        self.app = app
        self.socket = sock
        self.config = config
        self.public_url = public_url.rstrip("/") if public_url else None
        self.server_address = sock.getsockname()
        self.uvicorn = uvicorn.Server(config)

    def run(self) -> None:
        """Serve until stopped (``stop``, Ctrl-C or SIGTERM)."""
        if self.config.workers > 1:
            Multiprocess(self.config, sockets=[self.socket]).run()
        else:
            self.uvicorn.run(sockets=[self.socket])

    def stop(self) -> None:
        """Ask a single-process server to finish its requests and stop."""
        self.uvicorn.should_exit = True

    def close(self) -> None:
        """Close the listening socket."""
        self.socket.close()

    @property
    def root_path(self) -> str:
        """The sub-path the app is served under behind a proxy (``--root-path``)."""
        return self.config.root_path

    @property
    def all_interfaces(self) -> bool:
        """Whether the server listens on every interface (0.0.0.0 or ::)."""
        return self.server_address[0] in WILDCARD_HOSTS

    @property
    def local_url(self) -> str:
        """``http://host:port`` that reaches the server from this machine."""
        host, port = self.server_address[:2]
        if self.all_interfaces:
            host = "::1" if self.socket.family == socket.AF_INET6 else "127.0.0.1"
        return f"http://{url_host(host)}:{port}"

    @property
    def base_url(self) -> str:
        """``http://host:port`` for the links: the machine's name when bound to every interface."""
        host, port = self.server_address[:2]
        if self.all_interfaces:
            name = socket.gethostname()
            if name in ("", "localhost"):
                return self.local_url
            host = name
        return f"http://{url_host(host)}:{port}"

    def links(self) -> dict[str, str]:
        """The rater and admin links (under ``--public-url`` when given)."""
        base = self.public_url or self.base_url + self.root_path
        study = self.app.study
        return {
            "rater": f"{base}/join/{study.rater_token}",
            "admin": f"{base}/admin/{study.admin_token}",
        }


def make_server(
    app: RatingApp,
    host: str = "127.0.0.1",
    port: int = 8080,
    verbose: bool = False,
    request_timeout: float = REQUEST_TIMEOUT_S,
    proxy_headers: bool = False,
    root_path: str = "",
    workers: int = 1,
    public_url: str | None = None,
) -> RatingServer:
    """Bind ``host:port`` (port 0 picks a free port) and prepare uvicorn to serve ``app`` there.

    ``proxy_headers`` trusts X-Forwarded-For/-Proto from the addresses in $FORWARDED_ALLOW_IPS
    (default: this machine); ``workers`` > 1 runs that many processes, each opening the study
    (``web.app_from_env``), which needs a PostgreSQL store.
    """
    if workers < 1:
        raise GanforgeError(f"--workers must be at least 1, got {workers}")
    if workers > 1 and app.store.db.dialect != "postgresql":
        raise GanforgeError(
            "several workers need a PostgreSQL store (--db postgresql://... when creating the "
            "study); a SQLite study is served by one process"
        )
    if root_path and (not root_path.startswith("/") or root_path.endswith("/")):
        raise GanforgeError(f"--root-path must look like /rate (got {root_path!r})")
    # several workers each build the app from the study named in their environment
    target: Any = (
        "ganforge.rate.web:app_from_env" if workers > 1 else asgi_app(app, request_timeout)
    )
    config = RatingConfig(
        target,
        request_timeout=request_timeout,
        factory=workers > 1,
        workers=workers,
        proxy_headers=proxy_headers,
        root_path=root_path,
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        server_header=False,
        log_config=uvicorn.config.LOGGING_CONFIG if verbose else None,
        log_level="info" if verbose else "warning",
        access_log=verbose,
    )
    return RatingServer(app, bind(host, port), config, public_url)


def announcement(server: RatingServer) -> list[str]:
    """The lines printed when the server starts: address, tasks, links and notes."""
    links = server.links()
    workers = server.config.workers
    processes = f" ({workers} worker processes)" if workers > 1 else ""
    lines = [
        f"rating server on {server.base_url}{processes}: tasks {', '.join(server.app.tasks())}",
        f"  rater link (share with raters): {links['rater']}",
        f"  admin link (results; keep it):  {links['admin']}",
    ]
    if server.root_path and not server.public_url:
        lines += [
            f"  note: served under {server.root_path} (--root-path): these links work through",
            f"        the reverse proxy that forwards {server.root_path} here; --public-url URL",
            "        prints them with the proxy's address",
        ]
    if server.all_interfaces and not server.public_url:
        if server.base_url == server.local_url:
            lines += [
                "  note: listening on every interface, but this machine has no name, so the",
                "        links only work here: give raters the links with the machine's IP address",
            ]
        else:
            name = urlsplit(server.base_url).hostname
            lines += [
                f"  note: listening on every interface, so the links use this machine's name "
                f"{name!r};",
                "        if raters cannot reach that name, replace it by the machine's IP address",
                f"        (on this machine itself, {server.local_url} also works)",
            ]
    if not ipaddress.ip_address(server.server_address[0]).is_loopback:
        lines.append("  note: listening beyond this machine over plain HTTP; share links privately")
    lines.append("every answer is saved when it is acknowledged; Ctrl-C stops the server")
    return lines


@contextlib.contextmanager
def _worker_environment(study: Study, options: str) -> Iterator[None]:
    """The study and options in the environment the worker processes inherit."""
    saved = {key: os.environ.get(key) for key in (ENV_STUDY, ENV_OPTIONS)}
    os.environ[ENV_STUDY] = str(study.path.resolve())
    os.environ[ENV_OPTIONS] = options
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def serve(
    study: Study,
    host: str = "127.0.0.1",
    port: int = 8080,
    exposure_ms: int | None = None,
    feedback: bool | None = None,
    limits: Limits = DEFAULT_LIMITS,
    announce: Callable[[str], None] = print,
    verbose: bool = False,
    proxy_headers: bool = False,
    root_path: str = "",
    workers: int = 1,
    public_url: str | None = None,
) -> None:
    """Serve ``study`` until Ctrl-C or SIGTERM, announcing the rater and admin links first."""
    try:
        app = RatingApp(study, exposure_ms, feedback, limits)
        server = make_server(
            app,
            host,
            port,
            verbose,
            REQUEST_TIMEOUT_S,
            proxy_headers,
            root_path,
            workers,
            public_url,
        )
    except BaseException:
        study.close()
        raise
    for line in announcement(server):
        announce(line)
    previous = None
    if threading.current_thread() is threading.main_thread():
        # uvicorn stops gracefully on SIGTERM, then re-raises it: end as after Ctrl-C
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    options = options_json(exposure_ms, feedback, limits, REQUEST_TIMEOUT_S)
    try:
        with _worker_environment(study, options):
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        study.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
