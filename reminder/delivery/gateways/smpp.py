"""The `smpp` gateway: SMPP 3.4 to a carrier's or an aggregator's SMSC, bound as a transceiver.

Install with `pip install 'reminder[smpp]'` (the `aiosmpplib` package builds and parses the
PDUs; `reminder.delivery.gateways.smpp_session` runs the session). Every message goes as UCS-2
(data_coding 8); one longer than 70 characters is split into parts of 67 characters joined by
a UDH concatenation header (8-bit reference, total, sequence), sent one after the other.

- `provider_id` is the SMSC's message_id of the **first** part. Receipts for the first part
  decide the message's status; receipts for later parts are acknowledged and set aside.
- Delivery receipts (`deliver_sm` with the receipt bit in esm_class, text
  `id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:…`) and messages people send
  arrive on the bind, not over HTTP: they go to the sink the gateway is given (`attach`), which
  makes them durable before the deliver_sm is acknowledged. Without a sink they are answered
  ESME_RX_T_APPN ("try again later"), so the SMSC keeps them.
- The SMSC cannot be asked whether it took a message without its message_id (query_sm needs
  it), so there is no lookup: a message whose answer was lost is left `unknown` for an operator.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from reminder.delivery.gateways.base import (
    Accepted,
    Gateway,
    GatewaySettings,
    Inbound,
    OutgoingMessage,
    Receipt,
    needs_extra,
)
from reminder.errors import (
    AmbiguousGatewayError,
    GatewayError,
    GatewayStoppedError,
    PermanentGatewayError,
    TransientGatewayError,
)
from reminder.i18n import _
from reminder.status import Status

with needs_extra("smpp", "aiosmpplib"):
    from aiosmpplib import NPI, TON, DeliverSm, PhoneNumber, SubmitSm, SubmitSmResp
    from aiosmpplib.utils import split_sms_udh

from reminder.delivery.gateways.smpp_parts import MessageIds, MoParts, concatenation, id_forms
from reminder.delivery.gateways.smpp_session import (
    Answer,
    BindRefused,
    NoAnswer,
    NotSent,
    Session,
    SessionSettings,
)

log = logging.getLogger(__name__)

#: SMPP 3.4 command_status values by name (section 5.1.3), those this gateway classifies.
COMMAND_STATUS: dict[int, str] = {
    0x01: "ESME_RINVMSGLEN",
    0x04: "ESME_RINVBNDSTS",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x0D: "ESME_RBINDFAIL",
    0x0E: "ESME_RINVPASWD",
    0x0F: "ESME_RINVSYSID",
    0x14: "ESME_RMSGQFUL",
    0x15: "ESME_RINVSERTYP",
    0x43: "ESME_RINVESMCLASS",
    0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON",
    0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON",
    0x51: "ESME_RINVDSTNPI",
    0x53: "ESME_RINVSYSTYP",
    0x58: "ESME_RTHROTTLED",
    0x64: "ESME_RX_T_APPN",
    0x65: "ESME_RX_P_APPN",
    0x66: "ESME_RX_R_APPN",
    0xFE: "ESME_RDELIVERYFAILURE",
    0xFF: "ESME_RUNKNOWNERR",
}
#: Not taken now, worth sending again later: the SMSC is busy or its queue full (slow down),
#: the session was not bound, the SMSC or the application behind it failed for a moment.
TRANSIENT_STATUS = frozenset({0x04, 0x08, 0x14, 0x45, 0x58, 0x64, 0xFF})
#: The SMSC refuses the account: nothing will go through until the operator fixes the config.
STOP_STATUS = frozenset({0x0D, 0x0E, 0x0F, 0x53})
#: Every other code is permanent for the message: a bad destination (ESME_RINVDSTADR,
#: ESME_RINVDSTTON, ESME_RINVDSTNPI), a refusal of it (ESME_RX_P_APPN, ESME_RX_R_APPN,
#: ESME_RDELIVERYFAILURE), or a malformed request (ESME_RINVMSGLEN, ESME_RINVSRCADR, …).

#: Delivery receipt `stat:` words (SMPP 3.4 appendix B), as our statuses. UNKNOWN says no more
#: than that the SMSC took the message; ENROUTE and ACCEPTD are not final.
STATUS_WORDS: dict[str, Status] = {
    "delivrd": Status.delivered,
    "expired": Status.undelivered,
    "deleted": Status.undelivered,
    "undeliv": Status.undelivered,
    "acceptd": Status.sent,
    "unknown": Status.sent,
    "rejectd": Status.failed,
    "enroute": Status.sent,
}
_RECEIPT_FIELD = re.compile(r"(id|stat|err):(\S*)", re.IGNORECASE)
#: A throttled later part is sent again this many times (the first part's acceptance cannot be
#: undone, so the message is finished rather than failed), waiting this long, doubling.
PART_ATTEMPTS = 6
PART_RETRY_SECONDS = 0.2
#: How many later-part message ids are remembered, so their receipts are set aside.
LATER_PARTS_KEPT = 100_000


def status_name(status: int) -> str:
    """SMPP's name of a command_status, or its hexadecimal value for a vendor's own code."""
    return COMMAND_STATUS.get(status, f"0x{status:08X}")


def error_for(status: int, text: str) -> GatewayError:
    """The typed error of a refused submit_sm, carrying SMPP's name of the status."""
    code = status_name(status)
    if status in TRANSIENT_STATUS:
        return TransientGatewayError(text, code=code)
    if status in STOP_STATUS:
        return GatewayStoppedError(text, code=code)
    return PermanentGatewayError(text, code=code)


class SmppSettings(GatewaySettings):
    """Settings of the SMPP gateway: the SMSC's address and the account it gave you; `password`
    must come from an environment variable."""

    host: str = Field(min_length=1)
    port: int = Field(default=2775, ge=1, le=65535)
    system_id: str = Field(min_length=1, max_length=15)
    password: SecretStr = Field(max_length=8)
    system_type: str = Field(default="", max_length=12)
    #: The sender: a service code (e.g. 106900001234) or whatever the SMSC assigned.
    source_addr: str = Field(default="", max_length=20)
    source_addr_ton: int = Field(default=0, ge=0, le=6)
    source_addr_npi: int = Field(default=0, ge=0, le=18)
    #: Recipients go as E.164 digits without '+' (international, ISDN) unless set otherwise.
    dest_addr_ton: int = Field(default=1, ge=0, le=6)
    dest_addr_npi: int = Field(default=1, ge=0, le=18)
    #: Requests outstanding at once on the bind (what the SMSC allows; 10 is common).
    window: int = Field(default=10, ge=1, le=1000)
    enquire_link_seconds: float = Field(default=30.0, gt=0)
    reconnect_base_seconds: float = Field(default=0.5, gt=0)
    reconnect_max_seconds: float = Field(default=30.0, gt=0)


class SmppGateway(Gateway):
    """Sends through an SMSC over SMPP 3.4 (see the module docstring)."""

    name: ClassVar[str] = "smpp"
    real: ClassVar[bool] = True
    confirms_delivery: ClassVar[bool] = True
    Settings = SmppSettings
    secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})
    #: A bind refused for the account (SMPP 3.4 section 5.1.3).
    credential_codes: ClassVar[dict[str, tuple[str, ...]]] = {
        "ESME_RINVPASWD": ("password",),
        "ESME_RINVSYSID": ("system_id",),
    }
    #: A window of 10 keeps the bind busy; 100 messages a second is a common account limit
    #: (the carrier's contract says yours: set `delivery.messages_per_second`).
    default_delivery: ClassVar[Mapping[str, Any]] = {"concurrency": 10, "messages_per_second": 100}
    status_words: ClassVar[Mapping[str, Status]] = STATUS_WORDS

    def __init__(self, settings: GatewaySettings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._session: Session | None = None
        self._reference = 0
        #: Ids of first parts (receipts decide the message) and of later parts (set aside).
        self._first_ids, self._later_ids = MessageIds(), MessageIds(LATER_PARTS_KEPT)
        self._mo_parts = MoParts()

    @property
    def _settings(self) -> SmppSettings:
        assert isinstance(self.settings, SmppSettings)
        return self.settings

    @property
    def session(self) -> Session:
        """The session, made (not yet connected) on first use, in the running loop."""
        if self._session is None:
            settings = self._settings
            self._session = Session(
                SessionSettings(
                    host=settings.host,
                    port=settings.port,
                    system_id=settings.system_id,
                    password=settings.password.get_secret_value(),
                    system_type=settings.system_type,
                    window=settings.window,
                    enquire_link_seconds=settings.enquire_link_seconds,
                    reconnect_base_seconds=settings.reconnect_base_seconds,
                    reconnect_max_seconds=settings.reconnect_max_seconds,
                    timeout=settings.delivery.request_timeout_seconds,
                ),
                self._on_deliver,
            )
        return self._session

    # --- sending ------------------------------------------------------------------------

    def submits(self, message: OutgoingMessage) -> list[SubmitSm]:
        """The submit_sm PDUs of `message`: one, or one per part of a long text."""
        settings = self._settings
        fields: dict[str, Any] = {
            "source": PhoneNumber(
                settings.source_addr, TON(settings.source_addr_ton), NPI(settings.source_addr_npi)
            ),
            "destination": PhoneNumber(
                message.to.lstrip("+"), TON(settings.dest_addr_ton), NPI(settings.dest_addr_npi)
            ),
            "registered_delivery": 1,
            "encoding": "ucs2",
            "auto_message_payload": False,
            "log_id": str(message.message_id),
        }
        if len(message.body.encode("utf-16-be")) <= 140:
            return [SubmitSm(short_message=message.body, **fields)]
        self._reference = (self._reference + 1) % 256
        parts = split_sms_udh(message.body, "ucs2", self._reference)
        submits = []
        for part in parts:
            submit = SubmitSm(short_message=message.body, esm_class=0x40, **fields)
            submit.set_encoded_message(part)
            submits.append(submit)
        return submits

    async def send(self, message: OutgoingMessage) -> Accepted:
        """Send every part; the first part's refusal is the message's, a later part's throttling
        is waited out (the first part is on its way already)."""
        first, *later = self.submits(message)
        provider_id = await self._submit(first, part=None)
        self._first_ids.remember(provider_id)
        for number, submit in enumerate(later, start=2):
            part_id = await self._submit_later(submit, f"part {number} of {len(later) + 1}")
            self._later_ids.remember(part_id)
        return Accepted(provider_id=provider_id)

    async def _submit(self, submit: SubmitSm, part: str | None) -> str:
        where = f" ({part}; the earlier parts were accepted)" if part else ""
        try:
            answer = await self.session.request(submit)
        except NotSent as exc:
            if part is None:
                raise TransientGatewayError(f"{exc}: not sent", code="not-bound") from None
            raise AmbiguousGatewayError(f"{exc}{where}", code="not-bound") from None
        except NoAnswer as exc:
            raise AmbiguousGatewayError(
                f"{exc}{where}; the message may have been accepted", code="no-answer"
            ) from None
        except BindRefused as exc:
            raise self._refused(exc) from None
        if answer.status != 0:
            name = status_name(answer.status)
            raise error_for(answer.status, f"the SMSC refused the message: {name}{where}")
        return _message_id(answer)

    async def _submit_later(self, submit: SubmitSm, part: str) -> str:
        delay = PART_RETRY_SECONDS
        for attempt in range(PART_ATTEMPTS):
            try:
                return await self._submit(submit, part)
            except TransientGatewayError:
                if attempt == PART_ATTEMPTS - 1:
                    raise AmbiguousGatewayError(
                        f"the SMSC kept refusing {part} after the first was accepted: "
                        "the phone may show an incomplete message",
                        code="incomplete",
                    ) from None
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def _refused(self, exc: BindRefused) -> GatewayStoppedError:
        return GatewayStoppedError(
            "the SMSC refused the bind: check gateways.smpp.system_id and the variable "
            "gateways.smpp.password names",
            code=status_name(exc.status),
        )

    # --- what arrives on the bind -------------------------------------------------------

    async def _on_deliver(self, deliver: DeliverSm) -> int:
        """A receipt or a person's message, handed to the sink; the status to answer with."""
        if deliver.is_receipt():
            receipt = parse_receipt(deliver)
            if receipt is None:
                log.warning(_("a delivery receipt without a message id was acknowledged"))
                return 0
            found = await self._known(receipt)
            if found is None:
                return 0  # a later part's
            work = [found]
        else:
            text = self._whole_text(deliver)
            if text is None:
                return 0  # kept until the other parts arrive
            inbound = Inbound(_sender(deliver), text)
        if self.sink is None:
            log.warning(_("no sink attached: the SMSC is asked to deliver it again later"))
            return 0x64  # ESME_RX_T_APPN
        try:
            if deliver.is_receipt():
                await self.sink.take_receipts(self, work)
            else:
                await self.sink.take_inbound(self, [inbound])
        except Exception as exc:  # the database: the SMSC should try again later
            log.warning(_("cannot take a deliver_sm: %s"), type(exc).__name__)
            return 0x64  # ESME_RX_T_APPN
        return 0

    async def _known(self, receipt: Receipt) -> Receipt | None:
        """`receipt` as the store should try it: the id as written first (it may be another
        process's message), then this process's id that it reads as written the other way,
        then the id's other forms; None for a later part's id as written. Matching nothing,
        a receipt whose other form is one of this process's later parts is dropped."""
        said = receipt.provider_id
        if said not in self._first_ids and said not in self._later_ids:
            await asyncio.sleep(0)  # a submit_sm_resp read just before: let its sender note it
        if said in self._later_ids:
            return None
        if said in self._first_ids:
            return receipt
        ours = self._first_ids.resolve(said)
        aliases = tuple(dict.fromkeys([*([ours] if ours else []), *id_forms(said)]))
        later = ours is None and self._later_ids.resolve(said) is not None
        return replace(receipt, aliases=aliases, later_part=later)

    def _whole_text(self, deliver: DeliverSm) -> str | None:
        """A person's message: its text, or for a part of a long one the whole text once
        every part has arrived (None until then)."""
        text = str(deliver.short_message or deliver.message_payload)
        part = concatenation((p.tag, p.value) for p in deliver.optional_params or [])
        if part is None:
            return text
        ref, total, seq = part
        key = (_sender(deliver), deliver.destination.number, ref, total)
        return self._mo_parts.add(key, seq, text)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _message_id(answer: Answer) -> str:
    response = SubmitSmResp.from_pdu(answer.pdu, answer.header())
    assert isinstance(response, SubmitSmResp)
    if not response.message_id:
        raise AmbiguousGatewayError(
            "the SMSC accepted the message without a message_id", code="no-message-id"
        )
    return str(response.message_id)


def parse_receipt(deliver: DeliverSm) -> Receipt | None:
    """The receipt a deliver_sm carries: `id`, `stat` and `err` from its text (any date
    format), the id from the receipted_message_id parameter when the text has none."""
    text = deliver.short_message or deliver.message_payload
    fields = {key.lower(): value for key, value in _RECEIPT_FIELD.findall(text)}
    provider_id = fields.get("id")
    if not provider_id:
        for param in deliver.optional_params or []:
            if param.tag == 0x001E:  # receipted_message_id
                provider_id = str(param.value).rstrip("\x00")
    if not provider_id:
        return None
    stat = fields.get("stat", "UNKNOWN")
    err = fields.get("err", "")
    error = err if err.strip("0") else None
    return Receipt(provider_id, stat, error, f"stat:{stat} err:{err}" if error else None)


def _sender(deliver: DeliverSm) -> str:
    number = deliver.source.number
    return f"+{number}" if deliver.source.ton == TON.INTERNATIONAL else number
