"""Real peers on 127.0.0.1 for the Twilio gateway: a scripted Twilio-like server, and Prism.

`TwilioLikeServer` answers Twilio's Messages API — create, list by recipient, fetch one — from a
script of replies, and records every request it saw and every message it accepted. It covers
what the Prism mock of Twilio's OpenAPI description cannot: Twilio's error codes, slow answers,
answers lost after the message was accepted, and connections cut before it was.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

REPO = Path(__file__).resolve().parents[2]
TWILIO_MOCK = REPO.parent / "shared" / "tools" / "twilio-mock"
ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "test-auth-token-not-a-secret"
_MESSAGES = re.compile(r"/2010-04-01/Accounts/(AC\w+)/Messages(?:/(SM\w+))?\.json")


@dataclass
class Reply:
    """One scripted answer to a create request.

    `action`: "answer" (status, code, message); "cut" closes the connection before the message
    is accepted; "lose" accepts the message, then holds the answer for `hold` seconds (longer
    than the client's timeout) so the client never learns it was accepted.
    """

    status: int = 201
    code: int | None = None
    message: str = ""
    action: str = "answer"
    hold: float = 0.0


@dataclass
class Recorded:
    """Create requests the server saw, and the messages it accepted, by sid."""

    seen: list[dict[str, str]] = field(default_factory=list)
    replies: list[tuple[str, Reply]] = field(default_factory=list)  # (To, reply) in order
    accepted: list[dict[str, str]] = field(default_factory=list)
    messages: dict[str, dict[str, str]] = field(default_factory=dict)


class TwilioLikeServer:
    """A scripted stand-in for Twilio's Messages API, serving on 127.0.0.1."""

    def __init__(
        self,
        delay: float = 0.0,
        final_status: str = "delivered",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.delay = delay  # seconds each answer takes, like a slow provider
        self.now = now  # the provider's clock (tests on a fake clock share theirs)
        self.final_status = final_status  # what a fetch reports for an accepted message
        self.script: list[Reply] = []
        #: Replies for one number (To), used before `script`: the order of requests to
        #: different numbers does not matter to them.
        self.script_for: dict[str, list[Reply]] = {}
        self.recorded = Recorded()
        #: When set, a request whose Basic credentials are not (any account, this token) is
        #: refused as Twilio refuses it: HTTP 401, code 20003 "Authenticate".
        self.auth_token: str | None = None
        self._lock = threading.Lock()
        self._counter = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                if server.delay:
                    time.sleep(server.delay)
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if not server._authenticated(self.headers.get("Authorization", "")):
                    self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return
                match = _MESSAGES.fullmatch(self.path)
                with server._lock:
                    server.recorded.seen.append(form)
                    own = server.script_for.get(form.get("To", ""))
                    if own:
                        reply = own.pop(0)
                    else:
                        reply = server.script.pop(0) if server.script else Reply()
                    server.recorded.replies.append((form.get("To", ""), reply))
                if match is None:
                    self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                    return
                if reply.action == "cut":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if reply.status != 201:
                    self._json(
                        reply.status,
                        {"code": reply.code, "message": reply.message, "status": reply.status},
                    )
                    return
                record = server._accept(form, match.group(1))
                if reply.action == "lose":
                    time.sleep(reply.hold)
                self._json(201, record)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                match = _MESSAGES.fullmatch(url.path)
                if match is None:
                    self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                    return
                with server._lock:
                    if match.group(2):
                        record = server.recorded.messages.get(match.group(2))
                        if record is None:
                            self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                            return
                        self._json(200, {**record, "status": server.final_status})
                        return
                    to = parse_qs(url.query).get("To", [None])[0]
                    found = [
                        m
                        for m in reversed(server.recorded.messages.values())
                        if to is None or m["to"] == to
                    ]
                self._json(
                    200,
                    {
                        "messages": found,
                        "page": 0,
                        "page_size": 50,
                        "uri": url.path,
                        "first_page_uri": url.path,
                        "next_page_uri": None,
                        "previous_page_uri": None,
                        "start": 0,
                        "end": len(found),
                    },
                )

            def _json(self, status: int, body: dict[str, object]) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # cut and lost answers break connections on purpose

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _authenticated(self, authorization: str) -> bool:
        if self.auth_token is None:
            return True
        scheme, _, token = authorization.partition(" ")
        try:
            _account, _, given = base64.b64decode(token).decode().partition(":")
        except ValueError:
            return False
        return scheme == "Basic" and given == self.auth_token

    def _accept(self, form: dict[str, str], account: str) -> dict[str, str]:
        with self._lock:
            self._counter += 1
            sid = f"SM{self._counter:032x}"
            record = {
                "sid": sid,
                "account_sid": account,
                "to": form.get("To", ""),
                "from": form.get("From", ""),
                "body": form.get("Body", ""),
                "status": "queued",
                "date_created": format_datetime(self.now(), usegmt=True),
                "error_code": None,
                "error_message": None,
                "num_segments": "1",
            }
            self.recorded.accepted.append(form)
            self.recorded.messages[sid] = record
            return record

    def __enter__(self) -> TwilioLikeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def prism_mock() -> Iterator[str]:
    """Run the Prism mock of Twilio's OpenAPI description; yields its base URL."""
    if not TWILIO_MOCK.exists():
        raise FileNotFoundError(f"{TWILIO_MOCK} is missing (the shared/ folder beside the repo)")
    if shutil.which("npm") is None and not (Path.home() / ".cache/twilio-mock").exists():
        raise FileNotFoundError("npm is needed to install Prism (apt-get install -y npm)")
    port = free_port()
    started = subprocess.run(
        [str(TWILIO_MOCK), "start", str(port)],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    if started.returncode != 0:
        raise RuntimeError(f"twilio-mock did not start: {started.stderr.strip()}")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run([str(TWILIO_MOCK), "stop", str(port)], capture_output=True, timeout=60)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="on"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
