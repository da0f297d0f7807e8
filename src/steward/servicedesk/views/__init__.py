"""Service-desk pages (staff and portal) and their navigation entries.

The ticket pages serve both audiences on the same addresses: staff get the service-desk
views, client users (client admin, client IT, end user) the portal's, so a link to a
ticket works for everyone who may see it.
"""

from steward.web.navigation import NavItem, register

for _item in (
    NavItem("Service desk", "Tickets", "ticket_list", "tickets.note", "provider", 45, "inbox"),
    NavItem(
        "Service desk",
        "Canned responses",
        "canned_response_list",
        "servicedesk.configure",
        "provider",
        47,
        "message",
    ),
    NavItem("Service desk", "Macros", "macro_list", "servicedesk.configure", "provider", 48, "zap"),
    NavItem("Support", "Tickets", "ticket_list", "tickets.view", "client", 15, "inbox"),
    NavItem("Support", "Ask for help", "ticket_create", "tickets.create", "client", 16, "plus"),
):
    register(_item)
