"""Notices (通知公告); see feature.py."""

from .feature import NoticesFeature

__all__ = ["NoticesFeature"]
