"""keraslint: a static linter for the strings Keras resolves by name, starting with activations."""

__version__ = "0.1.0"
