"""Half-year budget disclosures (财务公开); see feature.py."""

from .feature import ReportsFeature

__all__ = ["ReportsFeature"]
