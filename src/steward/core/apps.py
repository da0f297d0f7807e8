from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "steward.core"
    label = "core"
    verbose_name = "Steward core"

    def ready(self) -> None:
        from steward.core import audit, signals  # noqa: F401  (connects audit signal handlers)
