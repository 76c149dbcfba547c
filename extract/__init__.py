"""factsheet: verified JSON fact sheets from news articles."""

__version__ = "0.1.0"
