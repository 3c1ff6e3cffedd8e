"""Satisfaction surveys (满意度调查): forms, results pages; see feature.py."""

from .feature import SurveysFeature, bundle, load_definitions

__all__ = ["SurveysFeature", "bundle", "load_definitions"]
