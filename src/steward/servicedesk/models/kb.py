"""Knowledge-base articles (Markdown, versioned), internal or public, global or per client."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from steward.core.audit_model import AuditedModel
from steward.core.models import Client, Provider, User
from steward.servicedesk.models.tickets import Ticket


class Article(AuditedModel):
    audit_exclude = frozenset({"created_at", "updated_at", "body"})

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal (staff only)"
        PUBLIC = "public", "Public (client portal)"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="kb_articles")
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="kb_articles",
        help_text="Empty: applies to every client.",
    )
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL)
    version = models.PositiveIntegerField(default=1)
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="kb_articles")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def audit_ownership(self) -> tuple[int | None, int | None]:
        return self.provider_id, self.client_id


class ArticleVersion(models.Model):
    """Every saved version of an article, so an edit can be compared or rolled back."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    visibility = models.CharField(max_length=8)
    edited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["article", "version"], name="article_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"
