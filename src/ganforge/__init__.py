"""ganforge: train, evaluate and tune generative adversarial networks."""

__version__ = "0.1.0"
