"""The one error every SLA configuration or input problem raises."""

from __future__ import annotations


class SlaConfigError(ValueError):
    """A calendar, SLA policy or event log is invalid.

    The message names the field and the problem, e.g.
    ``hours.mon[1]: '13:00-12:00' ends before it starts``; it is safe to show to a user.
    """
