"""Owners' decisions register (业主共同决定); see feature.py."""

from .feature import DecisionsFeature

__all__ = ["DecisionsFeature"]
