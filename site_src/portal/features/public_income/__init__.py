"""公共收益 ledgers per half-year; see feature.py."""

from .feature import PublicIncomeFeature

__all__ = ["PublicIncomeFeature"]
