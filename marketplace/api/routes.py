"""The v1 endpoints, one module per area (all on the `v1` blueprint)."""
from marketplace.api import (  # noqa: F401
    bid_routes, demand_routes, list_routes, misc_routes, ocds, offering_routes, pool_routes, webhook_routes,
)
