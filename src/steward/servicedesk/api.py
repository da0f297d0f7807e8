"""Service-desk REST API (tickets, replies, attachments, time, links)."""

from ninja import Router

router = Router(tags=["Tickets"])
