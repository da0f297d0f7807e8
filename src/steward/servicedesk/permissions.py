"""Permissions and navigation entries of the service desk."""

from steward.core.roles import Role, register_permissions

register_permissions(
    {
        "tickets.view": "See tickets (end users: only their own and those they watch)",
        "tickets.create": "Open tickets",
        "tickets.reply": "Reply publicly on tickets",
        "tickets.note": "Write internal notes and see them",
        "tickets.manage": "Change status, priority, assignment, links; merge and split",
        "tickets.view_all_client": "See every ticket of the client, not only one's own",
        "tickets.time": "Track time on tickets",
        "servicedesk.configure": (
            "Configure queues, teams, SLAs, calendars, mailboxes, canned replies and macros"
        ),
        "kb.view": "Read knowledge-base articles",
        "kb.edit": "Write and publish knowledge-base articles",
    },
    {
        Role.PROVIDER_ADMIN: [
            "tickets.view",
            "tickets.create",
            "tickets.reply",
            "tickets.note",
            "tickets.manage",
            "tickets.view_all_client",
            "tickets.time",
            "servicedesk.configure",
            "kb.view",
            "kb.edit",
        ],
        Role.TECHNICIAN: [
            "tickets.view",
            "tickets.create",
            "tickets.reply",
            "tickets.note",
            "tickets.manage",
            "tickets.view_all_client",
            "tickets.time",
            "kb.view",
            "kb.edit",
        ],
        Role.CLIENT_ADMIN: [
            "tickets.view",
            "tickets.create",
            "tickets.reply",
            "tickets.view_all_client",
            "kb.view",
        ],
        Role.CLIENT_IT: [
            "tickets.view",
            "tickets.create",
            "tickets.reply",
            "tickets.view_all_client",
            "kb.view",
        ],
        Role.END_USER: ["tickets.view", "tickets.create", "tickets.reply", "kb.view"],
    },
)

# Navigation entries are registered in views/__init__.py, next to the pages they open.
