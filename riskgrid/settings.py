"""The settings, declared once in ``geodata.settings`` (every layer reads them; re-exported here
for the command line)."""

from geodata.settings import SETTINGS, Setting, Settings, load_settings

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings"]
