"""Schemathesis hooks that sign every request the way each vendor face checks it.

Load with ``SCHEMATHESIS_HOOKS=contrib/schemathesis/hooks.py st run ...`` (see docs/contract.md).
Credentials come from the environment and default to ccemu's embedded demo fixture, so the same
hook signs for your own fixture (or your own contract) once the variables name its credentials:

- Udesk (query signature): CCEMU_UDESK_APP_ID, CCEMU_UDESK_SID, CCEMU_UDESK_TOKEN
- NXCloud (signed headers over the exact body bytes): CCEMU_NX_ACCESS_KEY, CCEMU_NX_SECRET
- Huawei (Bearer token from tokenByAkSk, fetched once): CCEMU_HW_APP_KEY, CCEMU_HW_APP_SECRET,
  and CCEMU_URL, the base URL the token is asked from.

The clock: Udesk's Timestamp and NXCloud's ts are the machine's time, so run ccemu on the real
clock (its default) or set CCEMU_CLOCK_MS to the frozen instant.

Two checks are added:

- ``vendor_refuses_invalid_body``: a body the operation's own schema says is invalid (or a
  required body left out) must be refused in the vendor's terms: Udesk an ErrCode other than
  000000, NXCloud a code other than 0, Huawei an HTTP status of 400 or more. It is what
  ``negative_data_rejection`` checks, readable for NXCloud too, which refuses with HTTP 200 and a
  code in the body (its OpenAPI says so in ``x-errors-in-body``).
- ``server_error_is_documented``: no 5xx but Huawei's documented 500 "business failure"; what
  ``not_a_server_error`` checks, less the one status the vendor documents.
"""

import hashlib
import json
import os
import threading
import time

import requests
import schemathesis
from schemathesis import Case

UDESK_APP_ID = os.environ.get("CCEMU_UDESK_APP_ID", "4b8dc715-05e0-4340-6cae-a6e3c39a6012")
UDESK_SID = os.environ.get("CCEMU_UDESK_SID", "udesk-demo-sid")
UDESK_TOKEN = os.environ.get("CCEMU_UDESK_TOKEN", "udesk-demo-token")
NX_ACCESS_KEY = os.environ.get("CCEMU_NX_ACCESS_KEY", "fme2na3kdi3ki")
NX_SECRET = os.environ.get("CCEMU_NX_SECRET", "nx-demo-secret")
HW_APP_KEY = os.environ.get("CCEMU_HW_APP_KEY", "huawei-demo-ak")
HW_APP_SECRET = os.environ.get("CCEMU_HW_APP_SECRET", "huawei-demo-sk")
HW_TOKEN_PATH = "/apigovernance/api/oauth/tokenByAkSk"

_token_lock = threading.Lock()
_token = None


def _now_ms():
    frozen = os.environ.get("CCEMU_CLOCK_MS")
    return int(frozen) if frozen else int(time.time() * 1000)


def _vendor(path):
    if path.startswith("/ccapi/v2/"):
        return "udesk"
    if path.startswith("/saas/cc/openapi/"):
        return "nxcloud"
    if path.startswith("/apiaccess/") or path.startswith("/apigovernance/"):
        return "huawei"
    return None


def _body_bytes(case):
    """The body exactly as it will be sent: NXCloud signs these bytes."""
    if case.body is None or type(case.body).__name__ == "NotSet":
        return b""
    if isinstance(case.body, (bytes, bytearray)):
        return bytes(case.body)
    return json.dumps(case.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _sign_udesk(case):
    ts = str(_now_ms())
    sign = hashlib.sha1((UDESK_SID + UDESK_TOKEN + ts).encode()).hexdigest()
    query = dict(case.query or {})
    security = case.operation.definition.raw.get("security") or [{}]
    app = "app_id" if any("app_id" in s for s in security) else "AppId"
    query.pop("AppId", None)
    query.pop("app_id", None)
    query.update({app: UDESK_APP_ID, "Timestamp": ts, "Sign": sign, "Sid": UDESK_SID})
    case.query = query


def _sign_nxcloud(case, body):
    ts = str(_now_ms())
    text = f"accessKey={NX_ACCESS_KEY}&action=cc&bizType=8&ts={ts}".encode()
    # An empty body or the JSON literal null is signed as no body (the vendor's convention).
    if body and body.strip() != b"null":
        text += b"&body=" + body
    text += f"&accessSecret={NX_SECRET}".encode()
    headers = dict(case.headers or {})
    headers.update({
        "accessKey": NX_ACCESS_KEY,
        "ts": ts,
        "bizType": "8",
        "action": "cc",
        "sign": hashlib.md5(text).hexdigest(),
    })
    case.headers = headers


def _huawei_token():
    global _token
    with _token_lock:
        if _token is None:
            base = os.environ.get("CCEMU_URL", "http://127.0.0.1:8080").rstrip("/")
            r = requests.post(
                base + HW_TOKEN_PATH,
                json={"app_key": HW_APP_KEY, "app_secret": HW_APP_SECRET},
                timeout=10,
            )
            r.raise_for_status()
            _token = r.json()["AccessToken"]
        return _token


def _sign_huawei(case):
    if case.path == HW_TOKEN_PATH:
        return  # the exchange itself: its body is what is under test
    headers = dict(case.headers or {})
    headers["Authorization"] = "Bearer " + _huawei_token()
    headers.pop("X-APP-Key", None)
    headers["X-APP-Key"] = HW_APP_KEY
    case.headers = headers


@schemathesis.hook
def before_call(context, case, kwargs):
    vendor = _vendor(case.path)
    if vendor is None:
        return  # the admin API: not signed
    body = _body_bytes(case)
    if case.body is not None and type(case.body).__name__ != "NotSet":
        # Sent as these bytes, so what is signed is what arrives.
        kwargs["data"] = body
        headers = dict(case.headers or {})
        headers["Content-Type"] = "application/json"
        case.headers = headers
    if vendor == "udesk":
        _sign_udesk(case)
    elif vendor == "nxcloud":
        _sign_nxcloud(case, body)
    else:
        _sign_huawei(case)


def _refused(vendor, response):
    if vendor == "huawei" or response.status_code >= 400:
        return response.status_code >= 400
    try:
        answer = response.json()
    except ValueError:
        return False
    if not isinstance(answer, dict):
        return False
    if vendor == "udesk":
        code = answer.get("ErrCode", answer.get("code"))
        return code not in ("000000", None)
    return answer.get("code") != 0


def _not_set(body):
    return body is None or type(body).__name__ == "NotSet"


@schemathesis.check
def vendor_refuses_invalid_body(ctx, response, case: Case):
    vendor = _vendor(case.path)
    definition = case.operation.definition.raw.get("requestBody")
    if vendor is None or not definition:
        return None
    if _not_set(case.body):
        if definition.get("required") and not _refused(vendor, response):
            raise AssertionError(
                f"{case.method} {case.path} accepted a request without its required body: "
                f"{response.text[:300]}"
            )
        return None
    schema = definition.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return None
    import jsonschema

    if isinstance(case.body, (bytes, bytearray)):
        error = "the body is not JSON"
    else:
        errors = list(jsonschema.Draft202012Validator(schema).iter_errors(case.body))
        error = errors[0].message if errors else None
    if error and not _refused(vendor, response):
        raise AssertionError(
            f"{case.method} {case.path} accepted a body its schema refuses ({error}): "
            f"{response.text[:300]}"
        )
    return None


@schemathesis.check
def server_error_is_documented(ctx, response, case: Case):
    """Huawei documents HTTP 500 as its "business failure" answer (a rule of the model refused
    the request): that one is the vendor's, any other 5xx is a fault."""
    if response.status_code < 500:
        return None
    if _vendor(case.path) == "huawei" and response.status_code == 500:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if isinstance(answer, dict) and str(answer.get("error_msg", "")).startswith(
            "Business failure"
        ):
            return None
    raise AssertionError(f"{response.status_code} from {case.method} {case.path}: {response.text[:300]}")
