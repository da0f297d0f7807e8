from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "steward.devices"
    label = "devices"
    verbose_name = "Devices"

    def ready(self) -> None:
        from steward.devices import permissions  # noqa: F401  (registers permissions and navigation)
