"""Schemathesis hooks for the local stack (loaded through SCHEMATHESIS_HOOKS).

`cargo lambda watch`, which stands in for API Gateway locally, answers 500 by
itself, before any function runs, to a JSON body that is not UTF-8 and to a
header value that is not ASCII. Those requests would test the emulator, not
the API, so their bytes are made representable here and the request still
goes out: a non-UTF-8 body becomes the same garbage with U+FFFD in place of
each bad byte (still not JSON), and a non-ASCII header character becomes `?`.
How the functions answer the raw forms (400, 401, 412, 422) is unit-tested in
shared/src/http.

In the stateful phase (chains of calls along the spec's links, such as create
an order, then pay it), a valid Idempotency-Key gets a suffix unique to the
request, as a real client sends a fresh key per payment. Otherwise the few
short keys Hypothesis favours ("0") would be taken by the first request and
every later payment in a chain would be a `422 idempotency_key_mismatch`. The
other phases send keys as generated, so replays and mismatches are tested.

The admin's PATCH and DELETE of a product that was there before the run (the
demo catalogue, which the tests after this one order from; the ids come in
FERROCART_PROTECTED_PRODUCTS) go to an id that names no product instead, and
are answered 404. Schemathesis finds those ids in the spec's examples and in
listings; the run changes and archives the products it creates itself.

Likewise a PUT or DELETE of a shipping option whose id could be one goes to
one of four ids of the run's own (`schemathesis-0` to `-3`, deleted after the
run): the demo options stay, and the shop's fifty slots are not filled with
options the other tests would then be refused.
"""

import itertools
import os
import re

import schemathesis

_requests = itertools.count()
_protected = frozenset(filter(None, os.environ.get("FERROCART_PROTECTED_PRODUCTS", "").split(",")))
_NO_PRODUCT = "00000000000000000000000000"
_OPTION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")


@schemathesis.hook
def before_call(context, case, kwargs):
    if (
        str(case.method).upper() in ("PATCH", "DELETE")
        and case.path == "/products/{id}"
        and isinstance(case.path_parameters, dict)
        and case.path_parameters.get("id") in _protected
    ):
        case.path_parameters["id"] = _NO_PRODUCT
    if (
        str(case.method).upper() in ("PUT", "DELETE")
        and case.path == "/shipping-options/{id}"
        and isinstance(case.path_parameters, dict)
        and isinstance(case.path_parameters.get("id"), str)
        and _OPTION_ID.fullmatch(case.path_parameters["id"])
    ):
        case.path_parameters["id"] = f"schemathesis-{next(_requests) % 4}"
    if isinstance(case.body, (bytes, bytearray)):
        try:
            bytes(case.body).decode("utf-8")
        except UnicodeDecodeError:
            case.body = bytes(case.body).decode("utf-8", "replace").encode("utf-8")
    if case.headers:
        for name, value in list(case.headers.items()):
            if isinstance(value, str) and not value.isascii():
                case.headers[name] = "".join(c if c.isascii() else "?" for c in value)
        key = case.headers.get("Idempotency-Key")
        if (
            _in_stateful_phase(case)
            and isinstance(key, str)
            and 0 < len(key) <= 200
            and all("!" <= c <= "~" for c in key)
        ):
            case.headers["Idempotency-Key"] = f"{key}-{next(_requests)}"


def _in_stateful_phase(case):
    meta = getattr(case, "meta", None)
    phase = getattr(meta, "phase", None)
    return str(getattr(phase, "name", "")) == "stateful"
