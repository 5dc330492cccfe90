"""One module per page, each with its layout and its own callbacks."""

from __future__ import annotations

import dash

from .. import routing
from . import grid, household, notfound, overview, problems, sites, unit, wall

PAGES = (overview, unit, grid, household, problems, sites, wall, notfound)


def register(app: dash.Dash) -> None:
    """Register every page and its callbacks on ``app``."""
    for page in PAGES:
        page.register(app)
    routing.register_in_place(app)
