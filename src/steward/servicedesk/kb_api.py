"""Knowledge-base REST API."""

from ninja import Router

router = Router(tags=["Knowledge base"])
