"""A strict, in-memory ConnectWise PSA simulator for development, tests and benchmarks.

Run it with `flask --app app cw-sim --port 5055` or `python -m cw_simulator`.
API base URL: `http://127.0.0.1:5055/v4_6_release/apis/3.0`; Basic auth `demo+demopublickey`
/ `demoprivatekey`; a `clientId` header in GUID form is required (401 otherwise).

Test controls (no auth):

- `POST /_sim/faults` with JSON (every key optional; settings replace the previous ones)::

      {"latency_ms": 20,            # added to every matching API request
       "error_rate": 0.0,           # probability of answering error_status (seeded RNG)
       "error_count": 0,            # the next N matching requests answer error_status
       "error_status": 503,
       "rate_limit": {"count": 2, "retry_after": 1,    # next N requests get 429 + Retry-After;
                      "burst_rate": 0.0, "burst_size": 1},  # and each later one starts a burst
                                    # of burst_size 429s with this probability
       "spikes": {"rate": 0.0, "ms": 0},  # this share of requests is held ms longer
       "hang": false,               # hold requests until faults change (or 60 s): client times out
       "hang_after_commit": false,  # do the work, then hold the answer the same way: the write
                                    # landed but the client times out not knowing it
       "reset": false,              # close the connection without an answer
       "paths": "/service/tickets", # only API paths containing this substring
       "methods": ["GET"],          # only these methods
       "error_body": "json",        # "html": errors answered with a Cloudflare/IIS-style HTML page
       "bad_credentials_status": 401,    # 404: wrong keys answered as cloud ConnectWise can
       "missing_client_id_status": 401}  # 403: a missing or malformed clientId refused with 403

  Always, as ConnectWise and its IIS do: a URL longer than 2,000 characters gets an HTML 404;
  query parameter names are case-insensitive (`pagesize`); `contains`/`like` values are SQL LIKE
  patterns; `childConditions`/`customFieldConditions` (not implemented here) are refused with 400.

  `GET /_sim/faults` shows them; `DELETE /_sim/faults` clears them (and releases hung requests).
- `GET /_sim/journal`: every API request received, oldest first, as
  `{"method", "path" (full path), "query" (dict), "json" (body or null), "status" (null when the
  connection was reset), "ms"}`; `DELETE /_sim/journal` empties it.
- `POST /_sim/security-role` with `{"deny": ["POST /time/entries", "PATCH /schedule/entries", …]}`:
  the API member's security role refuses those calls (ids may be written as numbers or `{id}`)
  with ConnectWise's 403 `{"code": "Security", "message": "You do not have security permission
  to perform this action."}`, and `/system/securityroles/{id}/settings` reads the matching level
  as `None`; `{}` restores the full role.
- `POST /_sim/reset`: seed data, faults and journal back to the start.

Browser pages: `/` lists tickets; ticket deep links of REFERENCE §11.2 open a ticket page.
"""
from cw_simulator.app import create_simulator_app

__all__ = ["create_simulator_app"]
