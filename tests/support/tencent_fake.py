"""A local stand-in for Tencent Cloud SMS (API 2021-01-11) on 127.0.0.1.

`TencentFake` verifies every request's TC3-HMAC-SHA256 signature with the official SDK's own
signer (`tencentcloud-sdk-python-common`, not ours) and answers `SendSms`,
`PullSmsSendStatus` and `PullSmsSendStatusByPhoneNumber` with the documented bodies. Scripts
make it fail: a request-level `Response.Error` code, a per-number `SendStatusSet` code, or
"lose" — accept the numbers, then hold the answer longer than the client waits. It records
what it accepted and keeps a delivery report of each (as a carrier would, at once), and can
post Tencent's status callbacks to a URL.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tencentcloud.common.abstract_client import AbstractClient

SECRET_ID = "AKIDfaketencent0000000000000000000"
SECRET_KEY = "fake-tencent-secret-key-not-real"
APP_ID = "1400006666"


@dataclass
class Script:
    """One scripted answer to a SendSms request: `error` a request-level code; `codes` a code
    per number (numbers not named are accepted); `lose` accepts, then holds the answer; `raw`
    accepts, then answers something not in Tencent's shape."""

    error: str | None = None
    codes: dict[str, str] = field(default_factory=dict)
    lose: float = 0.0
    raw: bytes | None = None  # answer these bytes instead (after accepting nothing)


@dataclass
class Recorded:
    """What the fake saw and accepted."""

    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    bad_signatures: int = 0
    accepted: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)


class _Req:
    """The request shape the SDK's signer reads."""

    def __init__(self, body: bytes, headers: dict[str, str]) -> None:
        self.method = "POST"
        self.uri = "/"
        self.data = body
        self.header = headers


def sdk_signature(body: bytes, content_type: str, host: str, timestamp: str) -> str:
    """The signature the official SDK computes for this request."""
    day = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
    req = _Req(body, {"Content-Type": content_type, "Host": host, "X-TC-Timestamp": timestamp})
    return str(AbstractClient._get_tc3_signature(None, {}, req, day, "sms", SECRET_KEY))


class TencentFake:
    """Tencent Cloud SMS on 127.0.0.1; `script` holds SendSms answers in order."""

    def __init__(
        self, delay: float = 0.0, final_status: str = "SUCCESS", contexts: bool = True
    ) -> None:
        self.delay = delay
        self.final_status = final_status
        self.contexts = contexts  # whether reports carry SessionContext (Tencent: on request)
        self.script: list[Script] = []
        self.recorded = Recorded()
        self._lock = threading.Lock()
        self._serial = 0
        self._pulled = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                if fake.delay:
                    time.sleep(fake.delay)
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if len(body) < length:  # the client died mid-request (a crash test's kill)
                    self.close_connection = True
                    return
                action = self.headers.get("X-TC-Action", "")
                if not fake._known_key(self.headers):
                    self._answer({"Error": _error("AuthFailure.SecretIdNotFound")})
                    return
                if not fake._signed(body, self.headers):
                    self._answer({"Error": _error("AuthFailure.SignatureFailure")})
                    return
                params = json.loads(body)
                with fake._lock:
                    fake.recorded.requests.append((action, params))
                if action == "SendSms":
                    answer, script = fake._send(params)
                    if script.lose:
                        time.sleep(script.lose)
                    if script.raw is not None:
                        self._raw(script.raw)
                        return
                elif action == "PullSmsSendStatusByPhoneNumber":
                    answer = fake._by_number(params)
                elif action == "PullSmsSendStatus":
                    answer = fake._pull(params)
                else:
                    answer = {"Error": _error("InvalidAction")}
                self._answer(answer)

            def _answer(self, response: dict[str, Any]) -> None:
                response["RequestId"] = "fake-request"
                payload = json.dumps({"Response": response}, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _raw(self, payload: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # lost answers break connections on purpose

        self._server = Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _known_key(self, headers: Any) -> bool:
        """Whether the request names our SecretId (Tencent answers SecretIdNotFound if not)."""
        return f"Credential={SECRET_ID}/" in headers.get("Authorization", "")

    def _signed(self, body: bytes, headers: Any) -> bool:
        auth = headers.get("Authorization", "")
        timestamp = headers.get("X-TC-Timestamp", "0")
        fields = dict(
            part.strip().split("=", 1) for part in auth.split(" ", 1)[-1].split(",") if "=" in part
        )
        expected = sdk_signature(
            body, headers.get("Content-Type", ""), headers.get("Host", ""), timestamp
        )
        good = (
            auth.startswith("TC3-HMAC-SHA256 ")
            and fields.get("Credential", "").startswith(SECRET_ID + "/")
            and fields.get("SignedHeaders") == "content-type;host"
            and fields.get("Signature") == expected
            and abs(time.time() - int(timestamp)) < 300
        )
        if not good:
            with self._lock:
                self.recorded.bad_signatures += 1
        return good

    def _send(self, params: dict[str, Any]) -> tuple[dict[str, Any], Script]:
        with self._lock:
            script = self.script.pop(0) if self.script else Script()
            if script.error:
                return {"Error": _error(script.error)}, script
            statuses = []
            for number in params["PhoneNumberSet"]:
                code = script.codes.get(number)
                if code:
                    statuses.append(_status(number, "", code, params))
                    continue
                self._serial += 1
                serial = f"2433:{self._serial:020d}"
                statuses.append(_status(number, serial, "Ok", params))
                self.recorded.accepted.append({**params, "PhoneNumber": number, "SerialNo": serial})
                self.recorded.reports.append(
                    {
                        "UserReceiveTime": int(time.time()),
                        "CountryCode": "86",
                        "SubscriberNumber": number[-11:],
                        "PhoneNumber": number,
                        "SerialNo": serial,
                        "ReportStatus": self.final_status,
                        "Description": "用户短信送达成功",
                        "SessionContext": params.get("SessionContext", "") if self.contexts else "",
                    }
                )
            return {"SendStatusSet": statuses}, script

    def _by_number(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            found = [
                r
                for r in self.recorded.reports
                if r["PhoneNumber"] == params["PhoneNumber"]
                and params["BeginTime"] <= r["UserReceiveTime"] <= params.get("EndTime", 2**40)
            ]
        return {"PullSmsSendStatusSet": found[: params["Limit"]]}

    def _pull(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:  # each report is handed out once, as Tencent does
            found = self.recorded.reports[self._pulled : self._pulled + params["Limit"]]
            self._pulled += len(found)
        return {"PullSmsSendStatusSet": found}

    def texts(self, templates: dict[str, str]) -> list[dict[str, str]]:
        """What each accepted number's phone shows, given the template texts by TemplateId."""
        shown = []
        for item in self.recorded.accepted:
            text = templates[item["TemplateId"]]
            for index, value in enumerate(item.get("TemplateParamSet", []), start=1):
                text = text.replace(f"{{{index}}}", value)
            shown.append({"to": item["PhoneNumber"], "body": f"【{item['SignName']}】{text}"})
        return shown

    def post_reports(self, url: str) -> list[int]:
        """Post every report as Tencent's status callback to `url`; the HTTP statuses."""
        statuses = []
        for report in list(self.recorded.reports):
            item = callback_item(report["SerialNo"], report["ReportStatus"], report["PhoneNumber"])
            request = urllib.request.Request(
                url,
                json.dumps([item], ensure_ascii=False).encode(),
                {"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    statuses.append(answer.status)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)
        return statuses

    def __enter__(self) -> TencentFake:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


#: The sample templates as they would be registered with Tencent: (TemplateId, text, params).
SAMPLE_TEMPLATES: dict[str, tuple[str, str, dict[str, str]]] = {
    "spring_daily.j2": (
        "2001",
        "{1}同志：今天是{2}廉洁提醒第{3}天。请严守中央八项规定精神，不收送礼品礼金，不违规吃喝，"
        "不公车私用。案例警示：{4}：{5}。监督举报电话{6}。",
        {
            "1": "contact_name",
            "2": "festival_name",
            "3": "day",
            "4": "case_title",
            "5": "case_summary",
            "6": "hotline",
        },
    ),
    "family_greeting.j2": (
        "2002",
        "{1}您好！{2}将至，{3}感谢您对{4}同志工作的理解和支持。请当好廉内助，守好家门，"
        "不替家人收受礼品礼金。案例警示：{5}。祝您阖家幸福、节日安康！",
        {
            "1": "contact_name",
            "2": "festival_name",
            "3": "organisation",
            "4": "cadre_name",
            "5": "case_title",
        },
    ),
    "back_to_work.j2": (
        "2003",
        "{1}同志：{2}假期已结束，请尽快收心归位，严守工作纪律，持续纠治“四风”。举报电话{3}。",
        {"1": "contact_name", "2": "festival_name", "3": "hotline"},
    ),
}


def sample_config(url: str, extra: str = "") -> str:
    """A config.yaml sending the sample campaign through the fake at `url` (keys from the
    TENCENT_SECRET_ID and TENCENT_SECRET_KEY environment variables)."""
    lines = [
        "per_number_cap: null",
        "approval: {required: false}",  # approval has tests of its own
        "gateway: tencent",
        "gateways:",
        "  tencent:",
        "    secret_id: ${TENCENT_SECRET_ID}",
        "    secret_key: ${TENCENT_SECRET_KEY}",
        f"    sms_sdk_app_id: '{APP_ID}'",
        f"    endpoint: {url}",
        "    sign_name: 某某市纪委监委",
        "    max_param_length: 120",
        "    report_wait_seconds: 0",
        "    templates:",
    ]
    for name, (code, text, params) in SAMPLE_TEMPLATES.items():
        lines += [f"      {name}:", f"        code: '{code}'", f"        text: '{text}'"]
        lines += ["        params:"] + [f"          '{k}': {v}" for k, v in params.items()]
    return "\n".join(lines) + "\n" + extra


def callback_item(sid: str, status: str, number: str = "+8613800138000") -> dict[str, str]:
    """One element of Tencent's status callback array."""
    return {
        "user_receive_time": "2027-01-30 08:30:05",
        "nationcode": "86",
        "mobile": number[-11:],
        "report_status": status,
        "errmsg": "DELIVRD" if status.upper() == "SUCCESS" else "MK:0001",
        "description": "用户短信送达成功" if status.upper() == "SUCCESS" else "用户短信发送失败",
        "sid": sid,
    }


def _error(code: str) -> dict[str, str]:
    return {"Code": code, "Message": f"scripted {code}"}


def _status(number: str, serial: str, code: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "SerialNo": serial,
        "PhoneNumber": number,
        "Fee": 1 if code == "Ok" else 0,
        "SessionContext": params.get("SessionContext", ""),
        "Code": code,
        "Message": "send success" if code == "Ok" else f"scripted {code}",
        "IsoCode": "CN",
    }
