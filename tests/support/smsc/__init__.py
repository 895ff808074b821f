"""An SMSC on 127.0.0.1 for the SMPP gateway's tests: `smsc.js` on the npm `smpp` package.

The package is installed with npm on first use into a cache outside the repository
(`$REMINDER_SMSC_HOME`, default `~/.cache/reminder-smsc`), the way the Twilio mock installs
Prism; nothing of it is committed. `Smsc` starts the script, scripts it over its stdin (each
command acknowledged before the call returns) and reads back what it accepted from its record
file.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "smsc.js"
#: The npm `smpp` release the tests run against.
SMPP_PACKAGE = "smpp@0.5.1"
SYSTEM_ID = "reminder"
PASSWORD = "s3cret"


def smsc_home() -> Path:
    """Where the npm package is installed (outside the repository)."""
    return Path(os.environ.get("REMINDER_SMSC_HOME", Path.home() / ".cache" / "reminder-smsc"))


def install() -> Path:
    """Install the npm `smpp` package once; returns its `node_modules` folder."""
    home = smsc_home()
    modules = home / "node_modules"
    if (modules / "smpp" / "package.json").exists():
        return modules
    if shutil.which("npm") is None:
        raise FileNotFoundError("npm is needed to install the test SMSC (apt-get install -y npm)")
    home.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", SMPP_PACKAGE],
        cwd=home,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return modules


@dataclass(frozen=True)
class Part:
    """One submit_sm the SMSC accepted."""

    id: str
    to: str
    sender: str
    data_coding: int
    esm_class: int
    registered_delivery: int
    udh: tuple[int, int, int] | None  # (reference, total, sequence)
    text: str
    silent: bool


class Smsc:
    """The SMSC process; use as a context manager. `delay_ms` is its answer time."""

    def __init__(
        self,
        record: Path,
        *,
        delay_ms: int = 0,
        system_id: str = SYSTEM_ID,
        password: str = PASSWORD,
    ) -> None:
        self.record = record
        self.delay_ms = delay_ms
        self.system_id = system_id
        self.password = password
        self.port = 0
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Smsc:
        modules = install()
        self.record.touch()
        env = {**os.environ, "NODE_PATH": str(modules)}
        self._process = subprocess.Popen(
            [
                "node",
                str(SCRIPT),
                "--system-id",
                self.system_id,
                "--password",
                self.password,
                "--delay-ms",
                str(self.delay_ms),
                "--record",
                str(self.record),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.port = int(self._wait(lambda e: e.get("event") == "listening")["port"])
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            if line.strip():
                self._events.put(json.loads(line))

    def _wait(self, match: Any, timeout: float = 30) -> dict[str, Any]:
        while True:
            event = self._events.get(timeout=timeout)
            if match(event):
                return event

    def command(self, op: str, **fields: Any) -> dict[str, Any]:
        """Send one command; returns its acknowledgement (in effect from then on)."""
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self._process.stdin.flush()
        return self._wait(lambda e: e.get("ack") == op)

    # --- scripting ----------------------------------------------------------------------

    def throttle(self, count: int) -> None:
        """Answer the next `count` submit_sm with ESME_RTHROTTLED."""
        self.command("throttle", count=count)

    def fail(self, status: int, count: int = 1) -> None:
        """Answer the next `count` submit_sm with `status`."""
        self.command("fail", status=status, count=count)

    def reject(self, number: str, status: int) -> None:
        """Answer every submit_sm to `number` (digits, no '+') with `status`."""
        self.command("reject", number=number, status=status)

    def silence(self, count: int) -> None:
        """Accept the next `count` submit_sm and never answer them."""
        self.command("silence", count=count)

    def receipts(self, stat: str | None, err: str = "000") -> None:
        """Send a delivery receipt with `stat` for every message accepted from now on."""
        self.command("receipts", stat=stat, err=err)

    def receipt(self, message_id: str, stat: str, err: str = "000") -> None:
        """Send one delivery receipt now."""
        self.command("receipt", id=message_id, stat=stat, err=err)

    def mo(self, sender: str, text: str, to: str = "10690001") -> None:
        """A message from a phone to the service code."""
        self.command("mo", to=to, text=text, **{"from": sender})

    def mo_parts(
        self,
        sender: str,
        parts: list[str],
        *,
        concat: str = "udh",
        ref: int = 7,
        reverse: bool = False,
        to: str = "10690001",
    ) -> None:
        """A long message from a phone, in UCS-2 parts joined by `concat`: "udh" (8-bit
        reference), "udh16" (16-bit) or "sar" (sar_* parameters); last part first if `reverse`."""
        self.command(
            "mo", to=to, parts=parts, concat=concat, ref=ref, reverse=reverse, **{"from": sender}
        )

    def ids(self, submit: str = "hex", receipt: str = "same") -> None:
        """How message ids are written from now on: in submit_sm_resp ("hex" or "decimal"), and
        in receipts ("same", or the submit's value turned to "hex" or "decimal")."""
        self.command("ids", submit=submit, receipt=receipt)

    def drop(self) -> None:
        """Cut every connection without an unbind."""
        self.command("drop")

    def stats(self) -> dict[str, Any]:
        """Counts: binds, accepted, enquire_links, receipts_sent, mo_sent, sessions."""
        return self.command("stats")

    # --- what it accepted ---------------------------------------------------------------

    def parts(self) -> list[Part]:
        """Every submit_sm accepted, in order."""
        lines = self.record.read_text(encoding="utf-8").splitlines()
        found = []
        for line in lines:
            if not line.strip():
                continue
            raw = json.loads(line)
            udh = tuple(raw["udh"]) if raw["udh"] else None
            found.append(
                Part(
                    raw["id"],
                    raw["to"],
                    raw["from"],
                    raw["data_coding"],
                    raw["esm_class"],
                    raw["registered_delivery"],
                    udh,
                    raw["text"],
                    raw["silent"],
                )  # type: ignore[arg-type]
            )
        return found

    def messages(self) -> list[dict[str, str]]:
        """Accepted messages with their parts joined (by recipient and UDH reference), in the
        order their first part arrived: {"to": "+86…", "body": …, "id": first part's id}."""
        joined: list[dict[str, Any]] = []
        open_sets: dict[tuple[str, int, int], dict[str, Any]] = {}
        for part in self.parts():
            if part.udh is None:
                joined.append({"to": "+" + part.to, "parts": {1: part.text}, "id": part.id})
                continue
            ref, total, seq = part.udh
            key = (part.to, ref, total)
            entry = open_sets.get(key)
            if entry is None or seq in entry["parts"]:
                entry = {"to": "+" + part.to, "parts": {}, "id": part.id, "total": total}
                open_sets[key] = entry
                joined.append(entry)
            entry["parts"][seq] = part.text
        return [
            {
                "to": e["to"],
                "body": "".join(e["parts"][k] for k in sorted(e["parts"])),
                "id": e["id"],
            }
            for e in joined
        ]
