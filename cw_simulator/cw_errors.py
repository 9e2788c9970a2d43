"""ConnectWise-shaped error bodies: `{"code", "message", "errors": [...] | null}` (REFERENCE §12)."""
from __future__ import annotations


class ApiError(Exception):
    """Raised anywhere in a request; the app turns it into the CW JSON error body."""

    def __init__(self, status: int, code: str, message: str, errors: list | None = None,
                 headers: dict | None = None, body: dict | None = None, html: str | None = None):
        super().__init__(message)
        self.status = status
        self.body = body or {"code": code, "message": message, "errors": errors}
        self.headers = headers or {}
        self.html = html  # answered as text/html instead of the JSON body (proxies, IIS)


def field_error(code: str, message: str, resource: str, field: str) -> dict:
    return {"code": code, "message": message, "resource": resource, "field": field}


def invalid(resource: str, *errors: dict) -> ApiError:
    """400 InvalidObject, as CW answers a body or parameter it refuses."""
    return ApiError(400, "InvalidObject", f"{resource} object is invalid", list(errors))


def invalid_field(resource: str, field: str, message: str, code: str = "InvalidField") -> ApiError:
    return invalid(resource, field_error(code, message, resource, field))


def not_found(label: str, record_id) -> ApiError:
    return ApiError(404, "NotFound", f"{label} with id {record_id} not found")


def rate_limited(retry_after: int) -> ApiError:
    """CW's 429 has its own body shape (REFERENCE §12)."""
    return ApiError(429, "", "", headers={"Retry-After": str(retry_after)},
                    body={"error": "ConnectWiseAPI",
                          "message": f"Too many requests. Please try again in {retry_after} seconds."})


def html_error(status: int, detail: str = "") -> ApiError:
    """What sits in front of ConnectWise answers with a page, not JSON: Cloudflare's 5xx, IIS's 404."""
    title = {404: "404 - File or directory not found.", 502: "502 Bad Gateway", 503: "503 Service Unavailable",
             504: "504 Gateway Time-out"}.get(status, f"{status} Error")
    page = (f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"
            f"<p>{detail}</p><hr><center>cloudflare</center></body></html>")
    return ApiError(status, "", "", html=page)
