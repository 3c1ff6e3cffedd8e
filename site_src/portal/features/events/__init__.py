"""The event calendar (社区文化活动); see feature.py."""

from .feature import EventsFeature

__all__ = ["EventsFeature"]
