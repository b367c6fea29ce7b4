"""Bayesian tools that depend on nothing else in ganforge: Naive Bayes and Bayesian optimisation."""
