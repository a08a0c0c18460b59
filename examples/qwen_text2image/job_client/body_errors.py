"""Errors inside a successful HTTP answer (settings ``error_code``).

Some APIs answer HTTP 200 whatever happened and put the outcome in the body: MiniMax's ``base_resp.status_code``
is 0 on success, 1004 for a rejected key, 1008 for an empty balance, 2013 for a bad parameter. ``error_code``
names that field, the values meaning success (``ok``) and the HTTP status each other code stands for
(``status``; any other code counts as 400). The client then treats the answer as that HTTP error, so the usual
bilingual errors, retries and key checks apply, and the message names the provider's code instead of a status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from job_client.paths import find_first

# A code the settings do not map: the request was refused.
UNMAPPED_STATUS = 400


@dataclass(frozen=True)
class ErrorCodeSettings:
    field: str  # dotted path of the code in every answer, e.g. base_resp.status_code
    ok: tuple[Any, ...] = (0,)
    # provider code (as text) -> the HTTP status it stands for, e.g. {"1004": 401, "1002": 429}
    status: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # YAML reads the codes as numbers, JSON as text: compare them as text.
        object.__setattr__(self, "status", {str(code): int(value) for code, value in self.status.items()})


def provider_code(response: requests.Response) -> str | None:
    """The provider's code when ``apply`` turned this answer into an error, else None."""
    return getattr(response, "provider_code", None)


def apply(settings: ErrorCodeSettings, response: requests.Response, failure: tuple[Any, ...] = ()) -> None:
    """Give a 2xx answer whose code is not ``ok`` the HTTP status that code stands for.

    ``failure`` is ``(status field, failure statuses)`` of a task API: an answer saying the task itself failed is
    left alone, so that the task's failure (with the provider's reason) is what gets reported.
    """
    if response.status_code >= 400:
        return
    try:
        payload = response.json()
    except ValueError:
        return
    code = find_first(payload, [settings.field])
    if code is None or str(code) in {str(value) for value in settings.ok}:
        return
    if failure and str(find_first(payload, [failure[0]])) in {str(value) for value in failure[1]}:
        return
    response.status_code = int(settings.status.get(str(code), UNMAPPED_STATUS))
    response.provider_code = str(code)  # type: ignore[attr-defined]
