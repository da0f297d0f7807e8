"""Service desk: tickets, e-mail gateway, client portal, SLA engine, knowledge base, CSAT."""
