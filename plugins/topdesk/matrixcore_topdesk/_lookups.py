"""TOPdesk's search lists (impacts, urgencies, priorities, durations), cached per connection.

Lookups change rarely (an administrator renames "Afdeling"), so each list is read once and read
again only when a name is asked for that the cached list lacks: a rename is picked up on the next
write that needs it, without a request per write in the common case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from matrixcore import AdapterError, HttpClient

from ._mapping import lookup_name

__all__ = ["LIST_PATHS", "LookupCache"]

#: dimension -> path under /tas/api.
LIST_PATHS: Final[Mapping[str, str]] = {
    "impact": "incidents/impacts",
    "urgency": "incidents/urgencies",
    "priority": "incidents/priorities",
    "duration": "incidents/durations",
}


class LookupCache:
    """Name -> id per search list, loaded on first use and reloaded once on a miss."""

    def __init__(self, http: HttpClient) -> None:
        self._http = http
        self._lists: dict[str, list[Mapping[str, Any]]] = {}

    def items(self, dimension: str, *, refresh: bool = False) -> Sequence[Mapping[str, Any]]:
        """The list as TOPdesk returns it (cached unless ``refresh``)."""
        if refresh or dimension not in self._lists:
            response = self._http.get(LIST_PATHS[dimension])
            data = [] if response.status_code == 204 else self._http.json(response)
            if not isinstance(data, list):
                raise AdapterError(f"{LIST_PATHS[dimension]}: expected a list, got {type(data).__name__}")
            self._lists[dimension] = [item for item in data if isinstance(item, Mapping)]
        return self._lists[dimension]

    def forget(self) -> None:
        """Drop every cached list (TOPdesk refused an id from one): the next use reads them again."""
        self._lists.clear()

    def _find(self, dimension: str, name: str) -> Mapping[str, Any] | None:
        wanted = name.casefold()
        return next(
            (i for i in self.items(dimension) if (lookup_name(i) or "").casefold() == wanted and i.get("id")),
            None,
        )

    def resolve(self, dimension: str, name: str) -> str:
        """The id of the entry named ``name`` (any case); ``AdapterError`` when TOPdesk has none."""
        found = self._find(dimension, name)
        if found is None:
            self.items(dimension, refresh=True)
            found = self._find(dimension, name)
        if found is None:
            known = ", ".join(sorted(n for i in self.items(dimension) if (n := lookup_name(i)))) or "none"
            raise AdapterError(f"TOPdesk has no {dimension} named {name!r} (TOPdesk has: {known})")
        return str(found["id"])
