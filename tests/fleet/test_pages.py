"""The fleet list and the device page: filters, sorting, paging, tabs, escaping, queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.core.models import Site
from steward.devices.models import Device, DeviceGroup, InstalledSoftware, Tag
from tests.fleet.conftest import make_device
from tests.tenancy.helpers import assert_csp_clean

XSS = "<script>alert(1)</script>"


def _names(response) -> list[str]:
    return [device.hostname for device in response.context["listing"].page.object_list]


def test_list_shows_the_scope_only(world, fleet, login_as):
    http = login_as(world.users["provider_admin"])
    response = http.get(reverse("device_list"))
    assert response.status_code == 200
    assert set(_names(response)) == {"ALPHA-PC-01", "alpha-srv", "BRAVO-SECRET-PC"}
    assert_csp_clean(response.content.decode())

    http = login_as(world.users["client_admin_a"])
    response = http.get(reverse("device_list"), {"client": world.client_b.pk})
    assert response.status_code == 200
    assert _names(response) == []
    response = http.get(reverse("device_list"))
    assert set(_names(response)) == {"ALPHA-PC-01", "alpha-srv"}
    assert "BRAVO" not in response.content.decode()


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"os": "linux"}, {"alpha-srv"}),
        ({"os": "windows"}, {"ALPHA-PC-01", "BRAVO-SECRET-PC"}),
        ({"kind": "server"}, {"alpha-srv"}),
        ({"status": "online"}, {"ALPHA-PC-01", "BRAVO-SECRET-PC"}),
        ({"status": "offline"}, {"alpha-srv"}),
        ({"status": "overdue"}, set()),
        ({"status": "never"}, set()),
        ({"q": "srv"}, {"alpha-srv"}),
        ({"q": "sn-alpha-pc"}, {"ALPHA-PC-01"}),  # serial number
        ({"q": "user:alice.alpha"}, {"ALPHA-PC-01", "alpha-srv", "BRAVO-SECRET-PC"}),  # logged-in user
        ({"q": "alice.alpha"}, set()),  # users only with user:
        ({"q": "alpha 01"}, {"ALPHA-PC-01"}),  # every word must match
        ({"os": "beos"}, {"ALPHA-PC-01", "alpha-srv", "BRAVO-SECRET-PC"}),  # ignored with a notice
    ],
)
def test_each_filter(world, fleet, login_as, params, expected):
    http = login_as(world.users["provider_admin"])
    response = http.get(reverse("device_list"), params)
    assert response.status_code == 200
    assert set(_names(response)) == expected


def test_client_site_tag_and_display_name_filters(world, fleet, login_as):
    http = login_as(world.users["provider_admin"])
    assert set(_names(http.get(reverse("device_list"), {"client": world.client_a.pk}))) == {
        "ALPHA-PC-01",
        "alpha-srv",
    }
    assert _names(http.get(reverse("device_list"), {"site": world.site_a.pk})) == ["ALPHA-PC-01"]
    vip = Tag.objects.create(provider=world.provider, name="VIP")
    fleet["a2"].tags.add(vip)
    assert _names(http.get(reverse("device_list"), {"tag": vip.pk})) == ["alpha-srv"]
    Device.unscoped.filter(pk=fleet["a2"].pk).update(display_name="Reception kiosk")
    assert _names(http.get(reverse("device_list"), {"q": "kiosk"})) == ["alpha-srv"]


def test_group_filter_static_and_dynamic(world, fleet, login_as):
    static = DeviceGroup.unscoped.create(provider=world.provider, name="Static", kind="static")
    static.devices.add(fleet["a1"], fleet["b1"])
    dynamic = DeviceGroup.unscoped.create(
        provider=world.provider, client=world.client_a, name="Linux", kind="dynamic", filter={"os": "linux"}
    )
    http = login_as(world.users["provider_admin"])
    assert set(_names(http.get(reverse("device_list"), {"group": static.pk}))) == {
        "ALPHA-PC-01",
        "BRAVO-SECRET-PC",
    }
    assert _names(http.get(reverse("device_list"), {"group": dynamic.pk})) == ["alpha-srv"]
    assert _names(http.get(reverse("device_list"), {"group": 999999})) == []
    # A client user cannot use a provider-wide group (outside their scope): nothing matches.
    http = login_as(world.users["client_it_a"])
    assert _names(http.get(reverse("device_list"), {"group": static.pk})) == []


@pytest.mark.parametrize("sort", ["name", "-name", "client", "os", "seen", "-seen", "cpu", "-cpu", "disk"])
def test_sorting(world, fleet, login_as, sort):
    Device.unscoped.filter(pk=fleet["a2"].pk).update(cpu_percent=99.0, disk_percent=10.0)
    http = login_as(world.users["provider_admin"])
    response = http.get(reverse("device_list"), {"sort": sort})
    assert response.status_code == 200
    names = _names(response)
    assert len(names) == 3
    if sort == "-cpu":
        assert names[0] == "alpha-srv"
    if sort == "-seen":
        assert names[-1] == "alpha-srv"


def test_pagination_and_htmx_partial(world, login_as):
    for i in range(55):
        make_device(world.client_a, f"pc-{i:03d}")
    http = login_as(world.users["provider_admin"])
    second = http.get(reverse("device_list"), {"page": 2})
    assert _names(second) == [f"pc-{i:03d}" for i in range(50, 55)]
    partial = http.get(reverse("device_list"), {"q": "pc-05"}, headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert "<html" not in html and "pc-050" in html
    assert partial["Vary"].count("HX-Request") == 1


def test_save_as_dynamic_group_link(world, fleet, login_as):
    http = login_as(world.users["provider_admin"])
    html = http.get(reverse("device_list"), {"os": "linux", "status": "offline"}).content.decode()
    assert "Save these filters as a dynamic group" in html
    assert "kind=dynamic&amp;filter=os%3Dlinux%26status%3Doffline" in html
    form = http.get(reverse("device_group_create") + "?kind=dynamic&filter=os%3Dlinux%26status%3Doffline")
    assert form.context["form"].initial["filter"] == "os=linux&status=offline"
    # Client admins cannot make groups: no link.
    html = login_as(world.users["client_admin_a"]).get(reverse("device_list"), {"os": "linux"}).content
    assert b"Save these filters" not in html


def _queries(http, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert http.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_is_constant(world, login_as):
    vip = Tag.objects.create(provider=world.provider, name="VIP")
    make_device(world.client_a, "first").tags.add(vip)
    http = login_as(world.users["provider_admin"])
    url = reverse("device_list")
    one = _queries(http, url)
    sites = [Site.unscoped.create(client=world.client_a, name=f"Site {i}") for i in range(3)]
    for i in range(199):
        device = make_device(world.client_a if i % 2 else world.client_b, f"pc-{i:03d}", site=sites[i % 3])
        if i % 5 == 0:
            device.tags.add(vip)
    assert _queries(http, url) == one
    assert _queries(http, url + "?status=offline&sort=-seen") <= one
    assert _queries(http, url + "?page=3&sort=cpu") == one


def test_device_page_tabs(world, fleet, login_as):
    http = login_as(world.users["provider_admin"])
    url = reverse("device_detail", args=[fleet["a1"].pk])
    expectations = {
        "overview": ["Windows 11 Pro", "SN-ALPHA-PC-01", "alice.alpha", "<svg", "<meter", "C:"],
        "hardware": ["Intel Core i7", "1.2.3", "Samsung 980", "16.0"],
        "software": ["Google Chrome", "7-Zip"],
        "updates": ["KB5034441", "critical", ">9<"],
        "security": ["Defender", "XTS-AES 128", "Administrator"],
        "backups": ["Veeam", "Daily"],
        "changes": ["Google Chrome 120.0 → 121.0", "BitLocker turned on"],
        "network": ["00:11:22:33:44:55", "10.0.0.5/24"],
    }
    for tab, needles in expectations.items():
        response = http.get(url, {"tab": tab})
        assert response.status_code == 200, tab
        html = response.content.decode()
        assert_csp_clean(html)
        for needle in needles:
            assert needle in html, (tab, needle)
    for chart_range in ("24h", "7d", "30d", "bogus"):
        assert http.get(url, {"range": chart_range}).status_code == 200
    partial = http.get(
        url, {"tab": "software", "q": "zip"}, headers={"HX-Request": "true", "HX-Target": "device-tab"}
    )
    html = partial.content.decode()
    assert "<html" not in html and "7-Zip" in html and "Google Chrome" not in html
    changes = http.get(url, {"tab": "changes", "category": "security"}).content.decode()
    assert "BitLocker turned on" in changes and "Google Chrome 120.0" not in changes


def test_a_device_without_inventory_renders(world, fleet, login_as):
    http = login_as(world.users["provider_admin"])
    device = make_device(world.client_a, "bare", seen_ago=None, last_heartbeat={"volumes": "junk"})
    for tab in ("overview", "hardware", "software", "updates", "security", "backups", "changes", "network"):
        assert http.get(reverse("device_detail", args=[device.pk]), {"tab": tab}).status_code == 200


def test_agent_strings_are_escaped(world, login_as):
    device = make_device(
        world.client_a,
        XSS,
        display_name=f"name {XSS}",
        os_name=XSS,
        inventory=True,
        last_heartbeat={
            "volumes": [{"mount": XSS, "total_bytes": 10, "used_bytes": 5}],
            "logged_in_users": [XSS],
        },
    )
    InstalledSoftware.unscoped.create(device=device, name=XSS, version=XSS, publisher=XSS)
    http = login_as(world.users["provider_admin"])
    pages = [
        http.get(reverse("device_list")),
        http.get(reverse("device_list"), {"q": "script"}),
        *(
            http.get(reverse("device_detail", args=[device.pk]), {"tab": tab})
            for tab in ("overview", "hardware", "software", "network")
        ),
    ]
    for response in pages:
        html = response.content.decode()
        assert "<script>alert(1)</script>" not in html
        assert_csp_clean(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[-2].content.decode()


def test_permissions_per_role(world, fleet, login_as):
    a1 = fleet["a1"]
    http = login_as(world.users["end_user_a"])
    assert http.get(reverse("device_list")).status_code == 403
    assert http.get(reverse("device_detail", args=[a1.pk])).status_code == 403

    http = login_as(world.users["client_admin_a"])
    assert http.get(reverse("device_detail", args=[a1.pk])).status_code == 200
    assert http.get(reverse("device_quarantine", args=[a1.pk])).status_code == 403
    assert http.post(reverse("device_quarantine", args=[a1.pk]), {"reason": "x"}).status_code == 403
    assert http.post(reverse("device_watch", args=[a1.pk])).status_code == 403
    assert http.get(reverse("device_edit", args=[a1.pk])).status_code == 403
    assert http.get(reverse("enrollment_token_list")).status_code == 403
    html = http.get(reverse("device_detail", args=[a1.pk])).content.decode()
    assert "Quarantine" not in html and "Watch live" not in html

    http = login_as(world.users["client_it_a"])
    assert http.get(reverse("device_edit", args=[a1.pk])).status_code == 200
    assert http.get(reverse("enrollment_token_list")).status_code == 200
    assert http.post(reverse("device_quarantine", args=[a1.pk]), {"reason": "x"}).status_code == 403
    assert http.post(reverse("device_delete", args=[a1.pk])).status_code == 403
    assert http.get(reverse("device_detail", args=[fleet["b1"].pk])).status_code == 404

    http = login_as(world.users["technician_a"])
    assert http.get(reverse("device_detail", args=[fleet["b1"].pk])).status_code == 404
    assert http.post(reverse("device_delete", args=[a1.pk])).status_code == 403


def test_dashboard_widget(world, fleet, login_as):
    html = login_as(world.users["provider_admin"]).get(reverse("dashboard")).content.decode()
    assert "Devices online" in html
    assert f"{reverse('device_list')}?status=offline" in html
    assert_csp_clean(html)
