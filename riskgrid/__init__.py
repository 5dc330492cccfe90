"""riskgrid: the command line and settings that wire geodata, etl and dashboard together."""

__version__ = "0.1.0"
