"""Metrics: pure functions of feature arrays, and the feature extractors that produce them."""
