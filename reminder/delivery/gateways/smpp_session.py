"""One SMPP 3.4 transceiver session for the `smpp` gateway: connect, bind, keep alive, reconnect.

PDUs are built and parsed by `aiosmpplib`'s message classes; this module only frames them on the
TCP stream (the 16-byte header gives each PDU's length) and runs the session around them:

- a keeper task connects and binds as a transceiver, and after the connection is lost connects
  again with exponential backoff (`reconnect_base_seconds` doubling up to
  `reconnect_max_seconds`); a refused bind (wrong system_id or password) stops it for good;
- a reader task matches each response to its request by sequence number, answers the SMSC's
  enquire_link and unbind, and hands each deliver_sm to `on_deliver`, answering with the status
  it returns once it returns (a receipt is acknowledged only when it is durable);
- an enquire_link goes out every `enquire_link_seconds`; one left unanswered for the request
  timeout drops the connection, which the keeper then rebuilds;
- at most `window` requests are outstanding at once.

`request` says exactly how far a request got: `NotSent` (it never left: safe to retry),
`NoAnswer` (it was written, its answer never came: it may have arrived) or the SMSC's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiosmpplib import (
    BindTransceiver,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    PduHeader,
    SmppCommand,
    SmppCommandStatus,
    SmppMessage,
    UnbindResp,
)
from aiosmpplib import Unbind as UnbindRequest

from reminder.i18n import _

log = logging.getLogger(__name__)

HEADER = struct.Struct("!IIII")
#: A PDU longer than this is a broken stream, not a message (SMPP PDUs are a few hundred bytes).
MAX_PDU = 64 * 1024
RESPONSE_BIT = 0x80000000
#: The SMPP version a bind announces (3.4).
INTERFACE_VERSION = 0x34


class NotSent(Exception):
    """The request never left: there is no bound connection, or it could not be written."""


class NoAnswer(Exception):
    """The request was written but its answer never came (timeout, or the connection was
    lost): the SMSC may have taken it."""


class BindRefused(Exception):
    """The SMSC refused the bind (`status`: its command_status)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Answer:
    """A response PDU: its command, command_status and the whole PDU."""

    command_id: int
    status: int
    pdu: bytes

    def header(self) -> PduHeader:
        """The header as `aiosmpplib` parses bodies with it."""
        return PduHeader(len(self.pdu), SmppCommand(self.command_id), known(self.status), 0)


def known(status: int) -> SmppCommandStatus:
    """The library's name for `status`; a vendor's own code reads as ESME_RUNKNOWNERR."""
    try:
        return SmppCommandStatus(status)
    except ValueError:
        return SmppCommandStatus.ESME_RUNKNOWNERR


@dataclass(frozen=True)
class SessionSettings:
    """What the session needs of the gateway's settings."""

    host: str
    port: int
    system_id: str
    password: str
    system_type: str
    window: int
    enquire_link_seconds: float
    reconnect_base_seconds: float
    reconnect_max_seconds: float
    timeout: float


#: Called with each deliver_sm; returns the command_status to answer it with.
DeliverHandler = Callable[[DeliverSm], Awaitable[int]]


class Session:
    """The session (see the module docstring); `start` in the running loop, `close` at the end."""

    def __init__(self, settings: SessionSettings, on_deliver: DeliverHandler) -> None:
        self.settings = settings
        self.on_deliver = on_deliver
        self.binds = 0
        self.refused: BindRefused | None = None
        self._ready = asyncio.Event()  # bound, or refused
        self._bound = False
        self._window = asyncio.Semaphore(settings.window)
        self._pending: dict[int, asyncio.Future[Answer]] = {}
        self._sequence = 0
        self._writer: asyncio.StreamWriter | None = None
        self._drain = asyncio.Lock()
        self._keeper: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    def start(self) -> None:
        """Start the keeper (once)."""
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep())

    # --- requests -----------------------------------------------------------------------

    async def request(self, message: SmppMessage, *, windowed: bool = True) -> Answer:
        """Send `message`, wait for its answer (see the module docstring for what is raised)."""
        self.start()
        if windowed:
            async with self._window:
                return await self._request(message)
        return await self._request(message)

    async def _request(self, message: SmppMessage) -> Answer:
        timeout = self.settings.timeout
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            raise NotSent("no bound connection to the SMSC") from None
        if self.refused is not None:
            raise self.refused
        writer = self._writer
        if writer is None or not self._bound:
            raise NotSent("the connection to the SMSC was lost")
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        sequence = message.sequence_num = self._sequence
        answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._pending[sequence] = answer
        try:
            try:
                writer.write(message.pdu())
            except (OSError, RuntimeError) as exc:
                raise NotSent(f"cannot write to the SMSC: {type(exc).__name__}") from None
            try:
                async with asyncio.timeout(timeout):
                    await self._flush(writer)
                    return await answer
            except TimeoutError:
                raise NoAnswer(f"no answer from the SMSC within {timeout:g} s") from None
            except (OSError, ConnectionError) as exc:
                raise NoAnswer(f"the connection to the SMSC was lost: {exc}") from None
        finally:
            self._pending.pop(sequence, None)

    async def _flush(self, writer: asyncio.StreamWriter) -> None:
        async with self._drain:
            await writer.drain()

    async def _write(self, message: SmppMessage) -> None:
        """Write a response (no answer expected); a lost connection just drops it."""
        writer = self._writer
        if writer is None:
            return
        with contextlib.suppress(OSError, RuntimeError):
            writer.write(message.pdu())
            await self._flush(writer)

    # --- the connection -----------------------------------------------------------------

    async def _keep(self) -> None:
        delay = self.settings.reconnect_base_seconds
        while not self._closing:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.settings.host, self.settings.port),
                    self.settings.timeout,
                )
            except (OSError, TimeoutError) as exc:
                log.warning(_("cannot connect to the SMSC: %s"), type(exc).__name__)
            else:
                try:
                    await self._bind(reader, writer)
                except BindRefused as exc:
                    self.refused = exc
                    self._ready.set()
                    writer.close()
                    return
                except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                    log.warning(_("cannot bind to the SMSC: %s"), type(exc).__name__)
                    writer.close()
                else:
                    delay = self.settings.reconnect_base_seconds
                    await self._serve(reader, writer)
            if self._closing:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.reconnect_max_seconds)

    async def _bind(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        settings = self.settings
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        bind = BindTransceiver(
            sequence_num=self._sequence,
            system_id=settings.system_id,
            password=settings.password,
            system_type=settings.system_type,
            interface_version=INTERFACE_VERSION,
        )
        writer.write(bind.pdu())
        async with asyncio.timeout(settings.timeout):
            await writer.drain()
            command_id, status, _ = await _read_pdu(reader)
        if command_id != SmppCommand.BIND_TRANSCEIVER_RESP or status != 0:
            raise BindRefused(status if status else SmppCommandStatus.ESME_RBINDFAIL)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Use a bound connection until it is lost; then fail what waits on it."""
        self._writer, self._bound = writer, True
        self.binds += 1
        self._ready.set()
        log.info(_("bound to the SMSC as a transceiver"))
        keepalive = asyncio.create_task(self._enquire_links(writer))
        try:
            await self._read(reader)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            if not self._closing:
                log.warning(_("the connection to the SMSC was lost: %s"), type(exc).__name__)
        finally:
            self._ready.clear()
            self._writer, self._bound = None, False
            keepalive.cancel()
            writer.close()
            lost = ConnectionError("the connection to the SMSC was lost")
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(lost)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            command_id, status, pdu = await _read_pdu(reader)
            sequence = HEADER.unpack_from(pdu)[3]
            if command_id & RESPONSE_BIT:
                answer = self._pending.get(sequence)
                if answer is not None and not answer.done():
                    answer.set_result(Answer(command_id, status, pdu))
            elif command_id == SmppCommand.ENQUIRE_LINK:
                await self._write(EnquireLinkResp(sequence_num=sequence))
            elif command_id == SmppCommand.UNBIND:
                await self._write(UnbindResp(sequence_num=sequence))
                return
            elif command_id == SmppCommand.DELIVER_SM:
                task = asyncio.create_task(self._deliver(pdu, sequence))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                nack = GenericNack(
                    sequence_num=sequence, command_status=SmppCommandStatus.ESME_RINVCMDID
                )
                await self._write(nack)

    async def _deliver(self, pdu: bytes, sequence: int) -> None:
        header = PduHeader(len(pdu), SmppCommand.DELIVER_SM, SmppCommandStatus.ESME_ROK, sequence)
        try:
            message = DeliverSm.from_pdu(pdu, header, "gsm0338")
        except (ValueError, LookupError, IndexError, struct.error) as exc:
            # Nothing we could ever read: taken, so the SMSC does not send it forever.
            log.warning(_("an unreadable deliver_sm was acknowledged: %s"), type(exc).__name__)
            status = 0
        else:
            assert isinstance(message, DeliverSm)
            status = await self.on_deliver(message)
        await self._write(DeliverSmResp(sequence_num=sequence, command_status=known(status)))

    async def _enquire_links(self, writer: asyncio.StreamWriter) -> None:
        while True:
            await asyncio.sleep(self.settings.enquire_link_seconds)
            try:
                await self.request(EnquireLink(), windowed=False)
            except (NoAnswer, NotSent):
                log.warning(_("the SMSC did not answer enquire_link: reconnecting"))
                writer.transport.abort()
                return

    async def close(self) -> None:
        """Unbind politely (briefly), then stop every task and close the connection."""
        self._closing = True
        if self._bound:
            with contextlib.suppress(NoAnswer, NotSent, BindRefused, ConnectionError):
                async with asyncio.timeout(1.0):
                    await self.request(UnbindRequest(), windowed=False)
        writer = self._writer
        if writer is not None:
            writer.transport.abort()
        tasks = [t for t in (self._keeper, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._keeper = None


async def _read_pdu(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    """One PDU off the stream: (command_id, command_status, the whole PDU)."""
    header = await reader.readexactly(HEADER.size)
    length, command_id, status, _ = HEADER.unpack(header)
    if not HEADER.size <= length <= MAX_PDU:
        raise ValueError(f"a PDU of {length} bytes")
    return command_id, status, header + await reader.readexactly(length - HEADER.size)
