"""Exceptions raised by the Naive Bayes classifiers; plain ``ValueError`` subclasses."""

from __future__ import annotations


class NaiveBayesError(ValueError):
    """Bad input to a Naive Bayes model; the message says what is wrong and what to do."""


class NotFittedError(NaiveBayesError):
    """A model was asked to predict before ``fit`` (or ``partial_fit``) was called."""


class UnseenCategoryError(NaiveBayesError):
    """A nominal value at prediction time that the training data never contained."""
