"""/company: companies (the typeahead) and configurations (the device sync)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Iterator

from cbcw.connectwise.api import shapes
from cbcw.connectwise.api.conditions import C
from cbcw.connectwise.api.http import MAX_PAGE_SIZE, MAX_URL_CHARS, ApiSession

COMPANY_FIELDS = "id,identifier,name,deletedFlag,_info"
CONFIGURATION_FIELDS = ("id,name,type,company,status,activeFlag,serialNumber,modelNumber,tagNumber,ipAddress,"
                        "osType,osInfo,manufacturer,_info/lastUpdated")


class CompanyEndpoints(ApiSession):
    """Companies to link a change to, and the configurations synced as devices."""

    def search_companies(self, text: str, limit: int = 25) -> list[dict]:
        """Active companies whose name or identifier contains `text` (typeahead); for a blank
        `text`, the first `limit` by name (what the picker lists when it is focused).

        Matches are re-checked here so that a result that does not really contain the text (or
        is deleted) is never offered, whatever the server did with the conditions.
        """
        text = text.strip()
        conditions = C.eq("deletedFlag", False)
        if text:
            conditions = C.and_(conditions, C.or_(C.contains("name", text), C.contains("identifier", text)))
        found = self._first_page("/company/companies", conditions, limit, "name asc", COMPANY_FIELDS)
        needle = text.lower()
        return [c for c in found if not shapes.flag(c, "deletedFlag")
                and (needle in shapes.text(c, "name").lower() or needle in shapes.text(c, "identifier").lower())]

    def get_company(self, company_id: int) -> dict:
        return shapes.record(self.request("GET", f"/company/companies/{int(company_id)}"), "a company")

    def list_configuration_types(self) -> list[dict]:
        return [shapes.record(t, "a configuration type") for t in self.iter_list("/company/configurations/types")]

    def iter_configuration_pages(self, type_ids: Iterable[int], company_ids: Iterable[int] | None = None,
                                 since: datetime | None = None,
                                 page_size: int = MAX_PAGE_SIZE) -> Iterator[list[dict]]:
        """Pages of configurations of those types (and companies; None for every company),
        active or not so a sync can deactivate, optionally only those changed after `since`.

        Paged by key (forward-only) with the next page on its way while the caller works on
        this one; long id lists are split over several listings so no URL passes
        `MAX_URL_CHARS`; each record is re-checked against the ids."""
        types = {int(t) for t in type_ids}
        companies = None if company_ids is None else {int(c) for c in company_ids}
        for conditions in self._configuration_queries(types, companies, since):
            for page in self.iter_pages("/company/configurations", conditions, fields=CONFIGURATION_FIELDS,
                                        page_size=page_size, prefetch=True, forward_only=True):
                yield [c for c in (shapes.record(c, "a configuration") for c in page)
                       if shapes.reference_id(c, "type") in types
                       and (companies is None or shapes.reference_id(c, "company") in companies)]

    def count_configurations(self, type_ids: Iterable[int], company_ids: Iterable[int] | None = None,
                             since: datetime | None = None) -> int:
        types = {int(t) for t in type_ids}
        companies = None if company_ids is None else {int(c) for c in company_ids}
        return sum(shapes.count(self.request("GET", "/company/configurations/count", params={"conditions": conditions}))
                   for conditions in self._configuration_queries(types, companies, since))

    def count_configurations_elsewhere(self, type_ids: Iterable[int], company_ids: Iterable[int]) -> int | None:
        """How many configurations of those types belong to other companies than these (one count
        with `company/id not in (…)`); None when the id list does not fit in one URL."""
        conditions = C.and_(C.in_("type/id", sorted({int(t) for t in type_ids})),
                            C.not_in("company/id", sorted({int(c) for c in company_ids})))
        if self._list_url_length("/company/configurations/count", conditions, None) > MAX_URL_CHARS:
            return None
        return shapes.count(self.request("GET", "/company/configurations/count", params={"conditions": conditions}))

    def _configuration_queries(self, types: set[int], companies: set[int] | None,
                               since: datetime | None) -> Iterator[str]:
        """Conditions strings covering every (type, company) pair within the URL limit."""
        path = "/company/configurations"

        def conditions(type_run, company_run):
            return _configuration_conditions(type_run, company_run, since)

        if companies is None:
            yield from (conditions(type_run, None) for type_run in self._runs(
                path, sorted(types), lambda run: conditions(run, None), CONFIGURATION_FIELDS))
            return
        # Type runs leave room for a fair share of company ids (about 40 % of the URL), so that
        # neither list is cut into runs of a few ids each.
        reserve, used = [], 0
        for company in sorted(companies):
            used += len(str(company)) + 3  # an encoded comma per id
            if reserve and used > MAX_URL_CHARS * 2 // 5:
                break
            reserve.append(company)
        for type_run in self._runs(path, sorted(types), lambda run: conditions(run, reserve),
                                   CONFIGURATION_FIELDS):
            yield from (conditions(type_run, company_run)
                        for company_run in self._runs(path, sorted(companies), lambda run: conditions(type_run, run),
                                                      CONFIGURATION_FIELDS))


def _configuration_conditions(type_ids, company_ids, since) -> str:
    parts = [C.in_("type/id", [int(t) for t in type_ids])]
    if company_ids is not None:
        parts.append(C.in_("company/id", [int(c) for c in company_ids]))
    if since is not None:
        parts.append(C.gt("_info/lastUpdated", since))
    return C.and_(*parts)
