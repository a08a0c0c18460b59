"""The model parameter's live menu and the retired-model check, shared by every tool (a helper module: no Tool class).

The work is in job_client.models; this turns it into the SDK's ParameterOption list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dify_plugin.entities import I18nObject, ParameterOption

if TYPE_CHECKING:
    from job_client.settings import Settings


def model_options(credentials: Mapping[str, Any], parameter: str, settings: Settings) -> list[ParameterOption]:
    """Options of a dynamic-select: the provider's live list for this tool, else the curated list (never fails)."""
    if parameter != "model":
        return []
    from job_client.models import ModelLister  # imported on first use, not at plugin start-up

    menu = ModelLister.from_credentials(credentials, settings).menu()
    return [ParameterOption(value=choice.id, label=I18nObject(en_US=choice.label)) for choice in menu.choices]


@contextmanager
def model_check(credentials: Mapping[str, Any], settings: Settings, parameters: Mapping[str, Any]) -> Iterator[None]:
    """Wrap a job: a model the provider no longer lists fails with one message naming the models available now."""
    from job_client.models import ModelLister, checked_model  # imported on first use, not at plugin start-up

    model = str(parameters.get("model") or settings.default_model)
    with checked_model(ModelLister.from_credentials(credentials, settings), model):
        yield
