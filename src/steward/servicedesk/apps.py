from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    name = "steward.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from steward.core.services import demo
        from steward.servicedesk import permissions  # noqa: F401  (registers permissions and navigation)
        from steward.servicedesk.services import demo as desk_demo
        from steward.servicedesk.views import kb  # noqa: F401  (registers the knowledge-base navigation)

        demo.register_extension(desk_demo.seed)
