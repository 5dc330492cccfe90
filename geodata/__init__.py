"""geodata: the domain and the store of riskgrid (units, households, geometry, figures).

It imports neither ``etl`` nor ``dashboard``.
"""

from .model import Lines, Unit
from .store import Store, StoreError

__all__ = ["Lines", "Store", "StoreError", "Unit"]
