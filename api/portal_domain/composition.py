"""The one place the app's services are built: from the environment on first use, or
given by a test (`use()`), so nothing patches private globals.

Importing it costs no client and no network: a Lambda container builds its services on
the first request that needs them. The staff API's token check is built the same way in
auth.py (`verifier()`), so the owners' function never imports PyJWT, which its package
does not carry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from portal_contracts.surveys import load_bundle

from .cases import CaseService
from .settings import Settings, clock_from_env
from .store import Store, client_from_env
from .surveys import SurveyService

# The deploy bundles content/surveys/ here; the local stack and tests point
# SURVEY_DEFINITIONS at a file of their own.
BUNDLED_SURVEYS = Path(__file__).with_name("survey_definitions.json")


@dataclass
class Services:
    cases: CaseService
    surveys: SurveyService


_services: Services | None = None


def from_env() -> Services:
    store = Store(os.environ.get("TABLE_NAME", "portal-local"), client_from_env())
    settings, clock = Settings.from_env(), clock_from_env()
    bundle = Path(os.environ.get("SURVEY_DEFINITIONS") or BUNDLED_SURVEYS)
    return Services(CaseService(store, settings, clock),
                    SurveyService(store, settings, load_bundle(bundle), clock))


def services() -> Services:
    """The services, built from the environment on first use."""
    global _services
    if _services is None:
        _services = from_env()
    return _services


def use(replacement: Services | None) -> None:
    """Serve with these services (a test's), or None to build from the environment again."""
    global _services
    _services = replacement


def built() -> bool:
    """Whether the services (and their database client) exist yet."""
    return _services is not None
