"""Schemathesis checks for Partnerdesk's GraphQL API (loaded through SCHEMATHESIS_HOOKS by e2e/fuzz/run).

Schemathesis's own `not_a_server_error` treats every error a resolver raises (NOT_FOUND for a random id, FORBIDDEN,
VALIDATION of a well-typed but unacceptable value) as a server failure. Those are the API's answers, not failures;
what must never happen is a 5xx, an error without `extensions.code`, or an INTERNAL one.
"""

import schemathesis


@schemathesis.check
def every_error_has_a_code(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:500]}")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"not JSON (HTTP {response.status_code}): {response.text[:500]}")
    if not isinstance(body, dict):
        raise AssertionError(f"not a JSON object: {response.text[:500]}")
    if "error" in body:  # an HTTP-level refusal: {"error": {"code", "message"}}
        code = (body["error"] or {}).get("code")
        if not code or code == "INTERNAL":
            raise AssertionError(f"HTTP error without a usable code: {response.text[:500]}")
        return None
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if not code:
            raise AssertionError(f"error without extensions.code: {error}")
        if code == "INTERNAL":
            raise AssertionError(f"internal error: {error}")
    return None
