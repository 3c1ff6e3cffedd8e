"""Satisfaction surveys (满意度调查): forms, results pages; see feature.py."""

from .feature import SurveysFeature

__all__ = ["SurveysFeature"]
