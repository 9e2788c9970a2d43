"""The API member's security role (REFERENCE §14): `/system/securityroles`, its settings, the
API members list, and the refusals a role without a permission causes.

The role grants everything the product needs until `POST /_sim/security-role {"deny": […]}`
names writes (`"POST /time/entries"`, `"PATCH /schedule/entries"`, …) it should refuse; `{}`
restores it. A denied call answers ConnectWise's 403 `Security` body (markciecior/ConnectPyse#20)
and the role's settings read back the matching level as `None`, so Test Connection sees what a
real role would show.

[INFERRED] The setting rows use the module and function names ConnectWise's Security Roles screen
shows (Service Desk → Service Tickets, Resource Scheduling; Time & Expense → Time Entry;
Companies → Company Maintenance, Configurations; System → Member Maintenance, Table Setup), as
integration vendors document them; the API's exact identifiers are not public.
"""
from __future__ import annotations

import re

from cw_simulator.cw_errors import ApiError
from cw_simulator.seed import API_ROLE

ROLE = API_ROLE  # the API member's role: the only one whose settings the simulator serves
SECURITY_MESSAGE = "You do not have security permission to perform this action."

# (module, function) -> the four levels the default role grants
_FUNCTIONS = {
    ("Service Desk", "Service Tickets"): {"addLevel": "All", "editLevel": "All", "deleteLevel": "None", "inquireLevel": "All"},
    ("Service Desk", "Resource Scheduling"): {"addLevel": "All", "editLevel": "All", "deleteLevel": "All", "inquireLevel": "All"},
    ("Time & Expense", "Time Entry"): {"addLevel": "All", "editLevel": "None", "deleteLevel": "None", "inquireLevel": "All"},
    ("Companies", "Company Maintenance"): {"addLevel": "None", "editLevel": "None", "deleteLevel": "None", "inquireLevel": "All"},
    ("Companies", "Configurations"): {"addLevel": "None", "editLevel": "None", "deleteLevel": "None", "inquireLevel": "All"},
    ("System", "Member Maintenance"): {"addLevel": "None", "editLevel": "None", "deleteLevel": "None", "inquireLevel": "All"},
    ("System", "Table Setup"): {"addLevel": "None", "editLevel": "None", "deleteLevel": "None", "inquireLevel": "All"},
}
_LEVEL_OF_METHOD = {"GET": "inquireLevel", "POST": "addLevel", "PATCH": "editLevel", "PUT": "editLevel",
                    "DELETE": "deleteLevel"}
# collection path -> the role function that governs it and everything below it (ids, notes)
_FUNCTION_OF_PATH = {
    "/service/tickets": ("Service Desk", "Service Tickets"),
    "/schedule/entries": ("Service Desk", "Resource Scheduling"),
    "/time/entries": ("Time & Expense", "Time Entry"),
    "/company/companies": ("Companies", "Company Maintenance"),
    "/company/configurations": ("Companies", "Configurations"),
    "/system/members": ("System", "Member Maintenance"),
    "/service/boards": ("System", "Table Setup"),
}
_NUMBER = re.compile(r"/\d+(?=/|$)")


def template(path: str) -> str:
    """`/service/tickets/5010/notes` → `/service/tickets/{id}/notes`."""
    return _NUMBER.sub("/{id}", path.rstrip("/") or "/")


def parse_denials(body) -> frozenset[tuple[str, str]]:
    """`{"deny": ["POST /time/entries", …]}` as {(method, path template)}; ValueError otherwise."""
    if not isinstance(body, dict) or set(body) - {"deny"}:
        raise ValueError('expected {"deny": ["METHOD /path", …]} or {}')
    entries = body.get("deny", [])
    if not isinstance(entries, list):
        raise ValueError("deny must be a list")
    denials = set()
    for entry in entries:
        parts = entry.split() if isinstance(entry, str) else []
        if len(parts) != 2 or parts[0].upper() not in _LEVEL_OF_METHOD or not parts[1].startswith("/"):
            raise ValueError(f"{entry!r} is not \"METHOD /path\"")
        denials.add((parts[0].upper(), template(parts[1])))
    return frozenset(denials)


def check_allowed(denials, method: str, api_path: str) -> None:
    """Raise ConnectWise's 403 Security answer when the role refuses this call."""
    path = template(api_path)
    if (method, path) in denials or (method, path.rsplit("/{id}", 1)[0]) in denials:
        raise ApiError(403, "Security", SECURITY_MESSAGE)


def settings(denials) -> list[dict]:
    """The role's `SecurityRoleSetting` rows, with each denied call's level read as None."""
    levels = {function: dict(granted) for function, granted in _FUNCTIONS.items()}
    for method, path in denials:
        bare = path.replace("/{id}", "")
        function = next((f for prefix, f in _FUNCTION_OF_PATH.items() if bare.startswith(prefix)), None)
        if function:
            levels[function][_LEVEL_OF_METHOD[method]] = "None"
    return [{"id": 700 + n, "moduleIdentifier": module.split()[0][:8].upper(), "moduleName": module,
             "moduleFunctionIdentifier": function.replace(" ", "")[:20], "moduleFunctionName": function,
             "moduleFunctionDescription": f"{module}: {function}", **levels[(module, function)]}
            for n, (module, function) in enumerate(_FUNCTIONS)]
