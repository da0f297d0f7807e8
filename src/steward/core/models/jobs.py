"""Evidence that the jobs worker and its scheduler are alive."""

from django.db import models


class SchedulerBeat(models.Model):
    """Written by a periodic task each minute; /healthz and `steward check` read its age."""

    name = models.CharField(max_length=60, unique=True)
    last_run_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} ({self.runs} runs)"
