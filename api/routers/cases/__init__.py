"""Cases (`/cases`, and the clerk's `/worklist`): one router, its operations in two modules.

`commands.py` holds submission and the transitions, `queries.py` the case view and the
worklist; both decorate the router made in `resource.py`. Importing this package imports
both, so `router` here comes with every operation registered.
"""

from api.routers.cases import commands, queries
from api.routers.cases.resource import router

__all__ = ["commands", "queries", "router"]
