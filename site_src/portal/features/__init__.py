"""The portal's sections. Adding one: write its module, then list it here."""

from __future__ import annotations

from ..pipeline import Feature
from .decisions import DecisionsFeature
from .desk import DeskFeature
from .editor import EditorFeature
from .events import EventsFeature
from .handbook import Handbook
from .notices import NoticesFeature
from .public_income import PublicIncomeFeature
from .reports import ReportsFeature
from .suggestions import SuggestionsFeature
from .surveys import SurveysFeature


def all_features() -> list[Feature]:
    """Every section, in the order of the navigation tabs."""
    return [
        NoticesFeature(), EventsFeature(), ReportsFeature(), PublicIncomeFeature(),
        DecisionsFeature(), Handbook(), SuggestionsFeature(), SurveysFeature(), DeskFeature(),
        EditorFeature(),
    ]
