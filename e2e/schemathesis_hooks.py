"""Schemathesis hooks for the local stack (loaded through SCHEMATHESIS_HOOKS).

`cargo lambda watch`, which stands in for API Gateway locally, answers 500 by
itself, before any function runs, to a JSON body that is not UTF-8 and to a
header value that is not ASCII. Those requests would test the emulator, not
the API, so their bytes are made representable here and the request still
goes out: a non-UTF-8 body becomes the same garbage with U+FFFD in place of
each bad byte (still not JSON), and a non-ASCII header character becomes `?`.
How the functions answer the raw forms (400, 401, 412, 422) is unit-tested in
shared/src/http.
"""

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    if isinstance(case.body, (bytes, bytearray)):
        try:
            bytes(case.body).decode("utf-8")
        except UnicodeDecodeError:
            case.body = bytes(case.body).decode("utf-8", "replace").encode("utf-8")
    if case.headers:
        for name, value in list(case.headers.items()):
            if isinstance(value, str) and not value.isascii():
                case.headers[name] = "".join(c if c.isascii() else "?" for c in value)
