"""Haul engine: downloads, release search, library gaps and requests behind one API."""

__version__ = "0.1.0"
