"""Real peers on 127.0.0.1 for the Twilio gateway: a scripted Twilio-like server, and Prism.

`TwilioLikeServer` answers `POST /2010-04-01/Accounts/{sid}/Messages.json` the way Twilio's
Messages API does, from a script of responses, and records every request it accepted. It covers
what the Prism mock of Twilio's OpenAPI description cannot: Twilio's error codes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parents[2]
TWILIO_MOCK = REPO.parent / "shared" / "tools" / "twilio-mock"
ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "test-auth-token-not-a-secret"


@dataclass
class Reply:
    """One scripted answer: HTTP status and, for errors, Twilio's code and message."""

    status: int = 201
    code: int | None = None
    message: str = ""


@dataclass
class Recorded:
    """Requests the server saw, and those it accepted (answered 201)."""

    seen: list[dict[str, str]] = field(default_factory=list)
    accepted: list[dict[str, str]] = field(default_factory=list)


class TwilioLikeServer:
    """A scripted stand-in for Twilio's Messages API, serving on 127.0.0.1."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay  # seconds each answer takes, like a slow provider
        self.script: list[Reply] = []
        self.recorded = Recorded()
        self._lock = threading.Lock()
        self._counter = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if server.delay:
                    time.sleep(server.delay)
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                match = re.fullmatch(r"/2010-04-01/Accounts/(AC\w+)/Messages\.json", self.path)
                with server._lock:
                    server.recorded.seen.append(form)
                    reply = server.script.pop(0) if server.script else Reply()
                    if match is None:
                        reply = Reply(404, 20404, "The requested resource was not found")
                    elif reply.status == 201:
                        server._counter += 1
                        server.recorded.accepted.append(form)
                        sid = f"SM{server._counter:032x}"
                if reply.status == 201:
                    body = {
                        "sid": sid,
                        "status": "queued",
                        "to": form.get("To"),
                        "body": form.get("Body"),
                        "account_sid": match.group(1),
                    }
                else:
                    body = {
                        "code": reply.code,
                        "message": reply.message,
                        "more_info": f"https://www.twilio.com/docs/errors/{reply.code}",
                        "status": reply.status,
                    }
                payload = json.dumps(body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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
