"""Measures: pure functions of feature arrays or image sets, each pinned to golden values.

A new measure is a module here; ``metrics/catalog/`` registers it for the suite.
"""
