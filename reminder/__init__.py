"""reminder: reviewed, scheduled, logged SMS integrity-reminder campaigns."""

__version__ = "0.1.0"
