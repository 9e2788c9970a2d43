"""/system (site info, members) and the site's company lookup on the login root."""
from __future__ import annotations

from typing import Iterable
from urllib.parse import quote, urlsplit

from cbcw.connectwise.api import shapes
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.http import ApiSession

MEMBER_FIELDS = "id,identifier,firstName,lastName,officeEmail,primaryEmail,inactiveFlag,licenseClass,_info"


class SystemEndpoints(ApiSession):
    """The Test Connection calls and the members matched to ChangeBreeze users."""

    def system_info(self) -> dict:
        """`GET /system/info`: the Test Connection call (version, isCloud, …)."""
        return shapes.obj(self.request("GET", "/system/info"), "system info")

    def company_info(self) -> dict | None:
        """`GET /login/companyinfo/{companyId}` on the site root (REFERENCE §1): the site's codebase
        and version, or None when ConnectWise does not know the company ID."""
        parts = urlsplit(self.base_url)
        path = f"/login/companyinfo/{quote(self.company_id, safe='')}"
        info = self._decode(self._call("GET", path, base=f"{parts.scheme}://{parts.netloc}"))
        return None if info is None else shapes.obj(info, "company info")

    def api_member_roles(self) -> list[dict]:
        """The security role reference (`{id, name}`) of each active API member (`/system/apiMembers`,
        REFERENCE §14); ConnectWise names no "current member" of an API key, so the caller decides
        what several API members mean."""
        members = map(shapes.record, self.iter_list("/system/apiMembers", fields="id,identifier,inactiveFlag,securityRole"))
        return [m.get("securityRole") for m in members
                if not shapes.flag(m, "inactiveFlag") and isinstance(m.get("securityRole"), dict)]

    def security_role_settings(self, role_id: int) -> list[dict]:
        """`GET /system/securityroles/{id}/settings`: one row per module function with its levels."""
        return [shapes.record(s) for s in self.iter_list(f"/system/securityroles/{int(role_id)}/settings")]

    def find_members_by_emails(self, emails: Iterable[str]) -> dict[str, dict]:
        """{lower-cased email: member} for active, non-API members whose office or primary
        email matches (case-insensitively); emails without a member are absent.

        Matched here, over the active members: whether ConnectWise filters on `primaryEmail` or
        `licenseClass` in conditions is not confirmed by public material (only `officeEmail`
        and `inactiveFlag` are seen working), so the product does not depend on it
        (docs/connectwise-behaviour.md). A site has a few hundred members at most: a page or two.
        """
        wanted = {e.strip().lower() for e in emails if e and e.strip()}
        if not wanted:
            return {}
        matches: dict[str, dict] = {}
        for member in self.list_members():
            for key in ("officeEmail", "primaryEmail"):
                email = shapes.text(member, key).strip().lower()
                if email in wanted:
                    matches.setdefault(email, member)
        return matches

    def list_members(self) -> list[dict]:
        """Active, non-API members (licenseClass A is an API member), for matching and picking."""
        members = map(shapes.record, self.iter_list("/system/members", C.eq("inactiveFlag", False),
                                                    fields=MEMBER_FIELDS))
        return [m for m in members if _is_person(m)]


def _is_person(member: dict) -> bool:
    """Re-check what the conditions asked for: active and not an API member."""
    return not shapes.flag(member, "inactiveFlag") and member.get("licenseClass") != "A"
