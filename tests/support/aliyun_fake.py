"""A stand-in for Aliyun's Dysmsapi (2017-05-25) on 127.0.0.1, for tests and the benchmark.

It checks every request's signature with Aliyun's own SDK signer (`alibabacloud_openapi_util`,
not our code), refuses a reused nonce, answers SendSms, SendBatchSms and QuerySendDetails with
the documented bodies, fills registered template texts the way Aliyun does (【SignName】 + text
with `${param}` replaced, missing parameters refused), and records what it accepted. A script
of replies makes the next send requests answer an error code, garbage, or accept and then hold
the answer past the client's timeout (a lost answer). `push(url, items)` makes an SmsReport or
SmsUp push to the receipt server.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alibabacloud_openapi_util.client import Client as AliyunSigner

ACCESS_KEY_ID = "LTAI-test-key-id"
ACCESS_KEY_SECRET = "test-access-key-secret-not-real"
CALLBACK_TOKEN = "test-callback-token"
CHINA = ZoneInfo("Asia/Shanghai")
_PARAM = re.compile(r"\$\{(\w+)\}")


@dataclass
class AliyunReply:
    """One scripted answer to a send request. `code` other than OK answers that error (with
    `status`); `action` "lose" accepts, then holds the answer `hold` seconds; "garbage" accepts
    and answers something that is not Aliyun's shape."""

    code: str = "OK"
    status: int = 200
    message: str = "OK"
    action: str = "answer"
    hold: float = 0.0


@dataclass
class Accepted:
    """One message the fake accepted."""

    phone: str
    sign_name: str
    template_code: str
    params: dict[str, str]
    content: str
    out_id: str
    biz_id: str
    sent: datetime  # China time


@dataclass
class Seen:
    """What the fake saw: every request's action, and messages accepted."""

    actions: list[str] = field(default_factory=list)
    accepted: list[Accepted] = field(default_factory=list)
    bad_signatures: int = 0


class AliyunFake:
    """Dysmsapi on 127.0.0.1; `templates` are the registered ones, code → text."""

    def __init__(
        self,
        templates: dict[str, str],
        *,
        delay: float = 0.0,
        send_status: str = "3",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.templates = dict(templates)
        self.delay = delay
        self.send_status = send_status  # what QuerySendDetails says of an accepted message
        self.now = now
        self.script: list[AliyunReply] = []
        self.seen = Seen()
        self._nonces: set[str] = set()
        self._lock = threading.Lock()
        self._counter = 0
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> AliyunFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what the handler calls -------------------------------------------------------------

    def answer(self, params: dict[str, str]) -> tuple[int, dict[str, Any], AliyunReply | None]:
        """(HTTP status, body, the scripted reply if the request was a send)."""
        problem = self._check(params)
        if problem is not None:
            return 400, problem, None
        action = params["Action"]
        with self._lock:
            self.seen.actions.append(action)
        if action == "QuerySendDetails":
            return 200, self._query(params), None
        if action not in ("SendSms", "SendBatchSms"):
            return 404, _error("InvalidAction.NotFound", "unknown action"), None
        with self._lock:
            reply = self.script.pop(0) if self.script else AliyunReply()
        if reply.code != "OK":
            return reply.status, _error(reply.code, reply.message), reply
        messages = self._messages(params)
        if isinstance(messages, dict):
            return 200, messages, reply
        return 200, self._accept(messages, params["TemplateCode"], params.get("OutId", "")), reply

    def _check(self, params: dict[str, str]) -> dict[str, Any] | None:
        if params.get("AccessKeyId") != ACCESS_KEY_ID:
            return _error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        unsigned = {k: v for k, v in params.items() if k != "Signature"}
        expected = AliyunSigner.get_rpcsignature(unsigned, "POST", ACCESS_KEY_SECRET)
        if params.get("Signature") != expected:
            with self._lock:
                self.seen.bad_signatures += 1
            return _error("SignatureDoesNotMatch", "Specified signature is not matched.")
        with self._lock:
            nonce = params.get("SignatureNonce", "")
            if not nonce or nonce in self._nonces:
                return _error("SignatureNonceUsed", "Specified signature nonce was used.")
            self._nonces.add(nonce)
        if params.get("Version") != "2017-05-25" or params.get("Format") != "JSON":
            return _error("InvalidVersion", "Specified parameter Version is not valid.")
        return None

    def _messages(
        self, params: dict[str, str]
    ) -> list[tuple[str, str, dict[str, str]]] | dict[str, Any]:
        """(phone, sign name, parameters) of each message a send request carries."""
        code = params.get("TemplateCode", "")
        if code not in self.templates:
            return _error("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)")
        try:
            if params["Action"] == "SendSms":
                phones = params["PhoneNumbers"].split(",")
                args = json.loads(params.get("TemplateParam") or "{}")
                found = [(p, params["SignName"], args) for p in phones]
            else:
                phones = json.loads(params["PhoneNumberJson"])
                signs = json.loads(params["SignNameJson"])
                args_list = json.loads(params["TemplateParamJson"])
                if not len(phones) == len(signs) == len(args_list) or len(phones) > 100:
                    return _error("isv.INVALID_PARAMETERS", "参数异常")
                found = list(zip(phones, signs, args_list, strict=True))
        except (KeyError, ValueError, TypeError):
            return _error("isv.INVALID_JSON_PARAM", "JSON参数不合法")
        needed = set(_PARAM.findall(self.templates[code]))
        for _phone, _sign, args in found:
            if not isinstance(args, dict) or needed - set(args):
                return _error("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")
        return found

    def _accept(
        self, messages: list[tuple[str, str, dict[str, str]]], code: str, out_id: str
    ) -> dict[str, Any]:
        text = self.templates[code]
        with self._lock:
            self._counter += 1
            biz_id = f"{900000 + self._counter}^{self._counter}"
            sent = self.now().astimezone(CHINA)
            for phone, sign, args in messages:
                content = f"【{sign}】" + _PARAM.sub(lambda m, a=args: str(a[m.group(1)]), text)
                self.seen.accepted.append(
                    Accepted(phone, sign, code, dict(args), content, out_id, biz_id, sent)
                )
        return {"Code": "OK", "Message": "OK", "BizId": biz_id, "RequestId": f"R-{biz_id}"}

    def _query(self, params: dict[str, str]) -> dict[str, Any]:
        phone, day = params.get("PhoneNumber", ""), params.get("SendDate", "")
        size, page = int(params.get("PageSize", "10")), int(params.get("CurrentPage", "1"))
        with self._lock:
            records = [
                a
                for a in reversed(self.seen.accepted)
                if a.phone == phone and a.sent.strftime("%Y%m%d") == day
            ]
        shown = records[(page - 1) * size : page * size]
        return {
            "Code": "OK",
            "Message": "OK",
            "RequestId": "R-query",
            "TotalCount": len(records),
            "SmsSendDetailDTOs": {
                "SmsSendDetailDTO": [
                    {
                        "PhoneNum": a.phone,
                        "SendStatus": int(self.send_status),
                        "ErrCode": "DELIVERED" if self.send_status == "3" else "MK:0001",
                        "TemplateCode": a.template_code,
                        "Content": a.content,
                        "SendDate": a.sent.strftime("%Y-%m-%d %H:%M:%S"),
                        "ReceiveDate": a.sent.strftime("%Y-%m-%d %H:%M:%S"),
                        "OutId": a.out_id,
                    }
                    for a in shown
                ]
            },
        }

    # --- for tests --------------------------------------------------------------------------

    def report(self, accepted: Accepted, success: bool = True) -> dict[str, Any]:
        """The SmsReport item Aliyun would push for one accepted message."""
        stamp = accepted.sent.strftime("%Y-%m-%d %H:%M:%S")
        return {
            "phone_number": accepted.phone,
            "send_time": stamp,
            "report_time": stamp,
            "success": success,
            "err_code": "DELIVERED" if success else "MN:0001",
            "err_msg": "用户接收成功" if success else "空号",
            "sms_size": "1",
            "biz_id": accepted.biz_id,
            "out_id": accepted.out_id,
        }


def push(url: str, items: list[dict[str, Any]]) -> tuple[int, bytes]:
    """POST a push (SmsReport or SmsUp) as Aliyun does: a JSON array, no signature."""
    request = urllib.request.Request(
        url,
        data=json.dumps(items, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _error(code: str, message: str) -> dict[str, Any]:
    return {"Code": code, "Message": message, "RequestId": "R-error"}


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # many clients connect at once (the benchmark's concurrency)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # lost answers break connections on purpose


def _handler(fake: AliyunFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

        def do_POST(self) -> None:
            if fake.delay:
                time.sleep(fake.delay)
            length = int(self.headers.get("Content-Length", 0))
            params = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            status, body, reply = fake.answer(params)
            if reply is not None and reply.action == "lose":
                time.sleep(reply.hold)
            if reply is not None and reply.action == "garbage":
                self._send(200, b"<html>upstream says hello</html>", "text/html")
                return
            self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json")

        def do_GET(self) -> None:
            # Counts for a benchmark running the fake in a process of its own.
            with fake._lock:
                counts = {"accepted": len(fake.seen.accepted), "requests": len(fake.seen.actions)}
            self._send(200, json.dumps(counts).encode(), "application/json")

        def _send(self, status: int, payload: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


#: The Aliyun templates to register for the sample templates in templates/ (the README lists
#: them): our template → (code, Aliyun's text, Aliyun parameter → our variable). A case summary
#: is longer than a variable may be (35 characters), so the registered texts carry its title.
SAMPLE_TEMPLATES: dict[str, tuple[str, str, dict[str, str]]] = {
    "spring_daily.j2": (
        "SMS_460001",
        "${name}同志：今天是${festival}廉洁提醒第${day}天。请严守中央八项规定精神，不收送礼品"
        "礼金，不违规吃喝，不公车私用。【案例警示】${case}。监督举报电话${hotline}。",
        {
            "name": "contact_name",
            "festival": "festival_name",
            "day": "day",
            "case": "case_title",
            "hotline": "hotline",
        },
    ),
    "family_greeting.j2": (
        "SMS_460002",
        "${name}您好！${festival}将至，${organisation}感谢您对${cadre}同志工作的理解和支持。"
        "请当好廉内助，守好家门，不替家人收受礼品礼金。【案例警示】${case}。祝您阖家幸福、"
        "节日安康！",
        {
            "name": "contact_name",
            "festival": "festival_name",
            "organisation": "organisation",
            "cadre": "cadre_name",
            "case": "case_title",
        },
    ),
    "back_to_work.j2": (
        "SMS_460003",
        "${name}同志：${festival}假期已结束，请尽快收心归位，严守工作纪律，持续纠治“四风”。"
        "举报电话${hotline}。",
        {"name": "contact_name", "festival": "festival_name", "hotline": "hotline"},
    ),
    "mid_autumn_daily.j2": (
        "SMS_460004",
        "${name}同志：${festival}前后，请自觉抵制“四风”，不收受月饼等节礼，不违规操办宴请。"
        "【案例警示】${case}。举报电话${hotline}。",
        {
            "name": "contact_name",
            "festival": "festival_name",
            "case": "case_title",
            "hotline": "hotline",
        },
    ),
    "key_post_reminder.j2": (
        "SMS_460005",
        "${name}同志：您所在的${unit}属重点岗位，${festival}期间请严格执行审批、采购和财务制度，"
        "拒绝任何形式的“节日红包”。举报电话${hotline}。",
        {
            "name": "contact_name",
            "unit": "contact_unit",
            "festival": "festival_name",
            "hotline": "hotline",
        },
    ),
}


def sample_config(
    url: str,
    *,
    templates: dict[str, tuple[str, str, dict[str, str]]] | None = None,
    delivery: str = "{concurrency: 4}",
    head: str = "database_url: sqlite:///reminder.db\n",
) -> str:
    """A config.yaml sending the sample campaigns through the fake at `url` (secrets from
    ALIYUN_ACCESS_KEY_ID, ALIYUN_ACCESS_KEY_SECRET and ALIYUN_CALLBACK_TOKEN)."""
    lines = [
        head.rstrip("\n"),
        "approval: {required: false}",  # approval has tests of its own
        "gateway: aliyun",
        "gateways:",
        "  aliyun:",
        "    access_key_id: ${ALIYUN_ACCESS_KEY_ID}",
        "    access_key_secret: ${ALIYUN_ACCESS_KEY_SECRET}",
        "    callback_token: ${ALIYUN_CALLBACK_TOKEN}",
        f"    endpoint: {url}",
        "    sign_name: 某某市纪委监委",
        f"    delivery: {delivery}",
        "    templates:",
    ]
    for name, (code, text, params) in (templates or SAMPLE_TEMPLATES).items():
        lines += [f"      {name}:", f"        code: {code}", f"        text: '{text}'"]
        lines += ["        params:"] + [f"          {k}: {v}" for k, v in params.items()]
    return "\n".join(lines) + "\n"


def sample_env() -> dict[str, str]:
    """The environment variables `sample_config` reads."""
    return {
        "ALIYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "ALIYUN_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
        "ALIYUN_CALLBACK_TOKEN": CALLBACK_TOKEN,
    }


def sample_fake(**kwargs: Any) -> AliyunFake:
    """The fake with the sample templates registered."""
    return AliyunFake({code: text for code, text, _ in SAMPLE_TEMPLATES.values()}, **kwargs)


def main() -> None:
    """`python -m tests.support.aliyun_fake TEMPLATES_JSON [LATENCY]`: serve until killed,
    printing the URL on the first line (the benchmark runs the fake in a process of its own)."""
    import sys

    fake = AliyunFake(json.loads(sys.argv[1]), delay=float(sys.argv[2]) if sys.argv[2:] else 0.0)
    print(fake.url, flush=True)
    fake._server.serve_forever()


if __name__ == "__main__":
    main()
