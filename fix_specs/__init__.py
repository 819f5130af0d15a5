"""FIX data dictionaries we maintain, in QuickFIX's XML format."""
from pathlib import Path

DIRECTORY = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """The path of a dictionary shipped here, such as ``FIX44.xml``."""
    return DIRECTORY / name
