"""mission-bot: answers questions about the OpenClassrooms Mission Report 2021."""

__version__ = "0.1.0"
