"""What the integration needs the API member's security role to allow (PRODUCT §3.1), in words,
with the role setting that grants each and the calls that need it.

A ConnectWise security role is a list of settings, one per module function (Service Desk →
Service Tickets, Time & Expense → Time Entry, …), each with an add, edit, delete and inquire
level of `None`, `My` or `All` (REFERENCE §14). `My` covers only the member's own records, and
the API member writes schedule and time entries for *other* members, so the integration needs
`All`. The function names are the ones ConnectWise's Security Roles screen shows and integration
vendors document (docs/connectwise-behaviour.md); the API's own identifiers are not public, so
settings are matched by module and function name, case-insensitively.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Capability:
    words: str          # what the integration does with it, as a user reads it
    module: str         # the role setting's module and function names
    function: str
    level: str          # "addLevel", "editLevel", "deleteLevel" or "inquireLevel"
    calls: tuple[str, ...] = ()  # "METHOD /path" templates ({id} for a number) that need it

    @property
    def setting(self) -> str:
        """Where an admin grants it: "Service Desk → Service Tickets: Edit = All"."""
        return f"{self.module} → {self.function}: {self.level[:-5].capitalize()} = All"


CAPABILITIES = (
    Capability("read service tickets", "Service Desk", "Service Tickets", "inquireLevel",
               ("GET /service/tickets", "GET /service/tickets/{id}", "GET /service/tickets/{id}/notes")),
    Capability("update service tickets (status)", "Service Desk", "Service Tickets", "editLevel",
               ("PATCH /service/tickets/{id}",)),
    Capability("add ticket notes", "Service Desk", "Service Tickets", "editLevel",
               ("POST /service/tickets/{id}/notes", "PATCH /service/tickets/{id}/notes/{id}")),
    Capability("add schedule entries for all members", "Service Desk", "Resource Scheduling", "addLevel",
               ("POST /schedule/entries",)),
    Capability("edit schedule entries for all members", "Service Desk", "Resource Scheduling", "editLevel",
               ("PATCH /schedule/entries/{id}",)),
    Capability("remove schedule entries", "Service Desk", "Resource Scheduling", "deleteLevel",
               ("DELETE /schedule/entries/{id}",)),
    Capability("add time entries for all members", "Time & Expense", "Time Entry", "addLevel",
               ("POST /time/entries",)),
    Capability("read configurations", "Companies", "Configurations", "inquireLevel",
               ("GET /company/configurations", "GET /company/configurations/types")),
    Capability("read companies", "Companies", "Company Maintenance", "inquireLevel", ("GET /company/companies",)),
    Capability("read boards and their statuses", "System", "Table Setup", "inquireLevel",
               ("GET /service/boards", "GET /service/boards/{id}/statuses")),
    Capability("read members", "System", "Member Maintenance", "inquireLevel", ("GET /system/members",)),
)
_NUMBER = re.compile(r"/\d+(?=/|$)")


def for_call(method: str, path: str) -> Capability | None:
    """The capability a call needs (`path` below the API root, ids as numbers), if it is one we know."""
    call = f"{method.upper()} {_NUMBER.sub('/{id}', path.split('?', 1)[0].rstrip('/'))}"
    return next((c for c in CAPABILITIES if call in c.calls), None)


@dataclass(frozen=True)
class Check:
    capability: Capability
    granted: bool | None  # None: the role has no such setting, so it could not be checked


def check_role(settings: list[dict]) -> list[Check]:
    """Each capability against a role's `SecurityRoleSetting` rows: granted only at level All."""
    by_name = {(str(s.get("moduleName", "")).casefold(), str(s.get("moduleFunctionName", "")).casefold()): s
               for s in settings if isinstance(s, dict)}
    checks = []
    for capability in CAPABILITIES:
        setting = by_name.get((capability.module.casefold(), capability.function.casefold()))
        level = setting.get(capability.level) if setting else None
        checks.append(Check(capability, None if setting is None else level == "All"))
    return checks
