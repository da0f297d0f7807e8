"""/tickets and the rest of the service desk in the REST API (see ``common`` for the rules
every route follows). The routes live in ``tickets``, ``conversation`` and ``work``."""

from steward.servicedesk.api import conversation, tickets, work  # noqa: F401  (register the routes)
from steward.servicedesk.api.common import router

__all__ = ["router"]
