"""Serving the simulator with uvicorn: in a background thread, or from the command line.

``serve_in_thread`` is what tests, the fault suite and the benchmarks use;
``main`` is ``python -m activecampaign_simulator`` and ``ac-segments simulate``.
Both bind 127.0.0.1 unless told otherwise, and neither logs requests by default
(an access log would be the first place a token or a customer's id could leak).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from socket import socket
from types import FrameType

import attrs
import uvicorn
from starlette.applications import Starlette

from activecampaign_simulator.app import create_app
from activecampaign_simulator.config import KNOWN_QUIRKS, PROFILES, SimulatorConfig
from activecampaign_simulator.store import Store

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
_STARTUP_TIMEOUT = 60.0
_SHUTDOWN_TIMEOUT = 10.0


def base_url_for(host: str, port: int) -> str:
    """``http://host:port``, bracketing an IPv6 literal."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _bound_port(server: uvicorn.Server) -> int:
    sockets: list[socket] = [s for srv in server.servers for s in (srv.sockets or ())]
    if not sockets:
        raise RuntimeError("the simulator started without a listening socket")
    port: int = sockets[0].getsockname()[1]
    return port


@attrs.frozen
class SimulatorHandle:
    """A running simulator: where it listens, its token, and the app (for ground truth)."""

    base_url: str
    token: str = attrs.field(repr=False)
    app: Starlette = attrs.field(repr=False)
    host: str
    port: int

    @property
    def store(self) -> Store:
        """The simulator's data, for comparing what a client fetched."""
        store: Store = self.app.state.store
        return store


def _uvicorn_config(app: Starlette, host: str, port: int, access_log: bool) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=access_log,
        log_level="info" if access_log else "warning",
        lifespan="off",
    )


@contextlib.contextmanager
def serve_in_thread(
    config: SimulatorConfig | None = None,
    host: str = DEFAULT_HOST,
    port: int = 0,
    *,
    app: Starlette | None = None,
    access_log: bool = False,
) -> Iterator[SimulatorHandle]:
    """Run the simulator on ``host:port`` in a daemon thread for the ``with`` block.

    ``port=0`` picks a free port (read back from the bound socket). Pass ``app`` to
    serve an app already built (e.g. with a fake clock); otherwise one is built from
    ``config``. Raises ``RuntimeError`` if the server cannot start (port in use).
    """
    app = app if app is not None else create_app(config)
    server = uvicorn.Server(_uvicorn_config(app, host, port, access_log))

    def serve() -> None:
        # uvicorn exits when it cannot bind; the caller sees that as a RuntimeError.
        with contextlib.suppress(SystemExit):
            server.run()

    thread = threading.Thread(target=serve, name="activecampaign-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the simulator could not start on {base_url_for(host, port)}")
        time.sleep(0.01)
    try:
        bound = _bound_port(server)
        token: str = app.state.config.token
        yield SimulatorHandle(base_url_for(host, bound), token, app, host, bound)
    finally:
        server.should_exit = True
        thread.join(_SHUTDOWN_TIMEOUT)
        if thread.is_alive():
            # Connections still open after the grace period: stop waiting for them.
            server.force_exit = True
            thread.join(_SHUTDOWN_TIMEOUT)


def build_parser(prog: str = "python -m activecampaign_simulator") -> argparse.ArgumentParser:
    """The command line of ``main``; every option maps to a :class:`SimulatorConfig` field."""
    defaults = SimulatorConfig()
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a simulated ActiveCampaign segment count history API.",
    )
    add = parser.add_argument
    add("--host", default=DEFAULT_HOST, help="address to bind (default: %(default)s, loopback)")
    add("--port", type=int, default=DEFAULT_PORT, help="port, 0 = a free one (%(default)s)")
    add("--segments", type=int, default=defaults.segments, help="ordinary segments (%(default)s)")
    add("--history", type=int, default=defaults.history, help="records each (%(default)s)")
    add("--seed", type=int, default=defaults.seed, help="data set seed (%(default)s)")
    add("--token", default=defaults.token, help="the accepted Api-Token (%(default)s)")
    add("--rps", type=float, default=defaults.rps, help="rate limit, 0 = off (%(default)s)")
    add("--db", default=None, metavar="PATH", help="SQLite file instead of memory")
    add("--latency-ms", type=float, default=0.0, help="milliseconds added to each answer")
    add("--error-rate", type=float, default=0.0, help="fraction answered 503/520")
    add("--malformed-rate", type=float, default=0.0, help="fraction of 200s malformed")
    add("--throttle-rate", type=float, default=0.0, help="fraction answered 429")
    add("--fault-seed", type=int, default=None, help="seed of the fault dice (default: --seed)")
    add(
        "--extra-segment",
        action="append",
        default=[],
        metavar="ID=COUNT",
        help="add a segment with COUNT records (repeatable), e.g. big=200000",
    )
    add(
        "--profile",
        default=defaults.profile,
        choices=PROFILES,
        help="how to read what the API document leaves open: strict refuses (unknown ids "
        "404, bad cursors 400), lenient accepts (every id has history, cursors read like "
        "PHP's (int)) (%(default)s)",
    )
    # Deliberate defects for the contract suite's own tests: not for users.
    add(
        "--quirk",
        action="append",
        default=[],
        choices=sorted(KNOWN_QUIRKS),
        help=argparse.SUPPRESS,
    )
    add("--access-log", action="store_true", help="log each request (off by default)")
    return parser


def _extra_segments(values: Sequence[str]) -> dict[str, int]:
    extra: dict[str, int] = {}
    for value in values:
        segment_id, sep, count = value.rpartition("=")
        if not sep or not count.isdigit():
            raise ValueError(f"--extra-segment expects ID=COUNT, got {value!r}")
        extra[segment_id] = int(count)
    return extra


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """The configuration ``args`` (from :func:`build_parser`) describe; ValueError if invalid."""
    return SimulatorConfig(
        seed=args.seed,
        segments=args.segments,
        history=args.history,
        token=args.token,
        rps=args.rps,
        latency=args.latency_ms / 1000,
        error_rate=args.error_rate,
        malformed_rate=args.malformed_rate,
        throttle_rate=args.throttle_rate,
        fault_seed=args.fault_seed,
        db_path=args.db,
        quirks=frozenset(args.quirk),
        extra_segments=_extra_segments(args.extra_segment),
        profile=args.profile,
    )


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints where it listens once it really listens."""

    def __init__(self, config: uvicorn.Config, token: str) -> None:
        super().__init__(config)
        self._token = token

    async def startup(self, sockets: list[socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(f"base_url={base_url_for(self.config.host, _bound_port(self))}", flush=True)
            # Printed on purpose (scripts parse it); it is the simulator's own token.
            print(f"token={self._token}", flush=True)
            print("Serving the ActiveCampaign simulator; Ctrl-C to stop.", file=sys.stderr)


def run(
    config: SimulatorConfig,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    access_log: bool = False,
) -> int:
    """Serve ``config`` in this thread until Ctrl-C or SIGTERM; the exit status.

    0 after a clean stop; 1 when the address cannot be bound; 2 when the data set
    cannot be built (an unusable ``--db`` path), with one line on stderr.
    """
    try:
        app = create_app(config)
    except (ValueError, sqlite3.Error) as exc:
        print(f"error: cannot build the simulator's data: {exc}", file=sys.stderr)
        return 2
    server = _AnnouncingServer(_uvicorn_config(app, host, port, access_log), config.token)
    # uvicorn shuts down gracefully on SIGTERM and then re-raises it to the handler it
    # found: make that one a KeyboardInterrupt, so SIGTERM ends like Ctrl-C (status 0).
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        server.run()
    except SystemExit as exc:  # uvicorn exits non-zero when it cannot bind
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        pass
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    return 0 if server.started else 1


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """``python -m activecampaign_simulator [options]``: print base_url/token, serve."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be in 0..65535, got {args.port}")
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    return run(config, args.host, args.port, access_log=args.access_log)
