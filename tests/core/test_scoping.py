import pytest
from django.core.exceptions import PermissionDenied

from steward.core.models import AppendOnlyError, AuditEntry, Client, Contact, Site, User
from steward.core.scoping import Scope, UnscopedQueryError


@pytest.mark.parametrize("model", [Client, Site, Contact, User, AuditEntry])
def test_unscoped_queries_raise(world, model):
    with pytest.raises(UnscopedQueryError):
        list(model.objects.all())
    with pytest.raises(UnscopedQueryError):
        model.objects.filter(pk=1).count()
    with pytest.raises(UnscopedQueryError):
        model.objects.exists()
    with pytest.raises(AppendOnlyError if model is AuditEntry else UnscopedQueryError):
        model.objects.filter(pk=1).update(pk=1)
    with pytest.raises(UnscopedQueryError):
        model.objects.get(pk=1)


def test_client_roles_see_only_their_client(world):
    for role in ("client_admin", "client_it", "end_user"):
        scope = Scope.for_user(world.users[f"{role}_a"])
        assert list(Client.objects.for_scope(scope)) == [world.client_a]
        assert world.site_b not in Site.objects.for_scope(scope)
        assert not Contact.objects.for_scope(scope).filter(pk=world.contact_b.pk).exists()
        assert set(User.objects.for_scope(scope).values_list("client_id", flat=True)) == {world.client_a.pk}


def test_limited_technician_sees_granted_clients_only(world):
    scope = Scope.for_user(world.users["technician_a"])
    assert list(Client.objects.for_scope(scope)) == [world.client_a]
    assert not Site.objects.for_scope(scope).filter(client=world.client_b).exists()
    # Provider staff rows (no client) are hidden from limited scopes.
    assert not User.objects.for_scope(scope).filter(client__isnull=True).exists()


def test_provider_wide_scope_sees_everything_of_its_provider_only(world):
    from steward.core.models import Provider

    other = Provider.objects.create(name="Other MSP", slug="other")
    Client.unscoped.create(provider=other, name="Foreign", short_code="F")
    scope = Scope.for_user(world.users["provider_admin"])
    names = set(Client.objects.for_scope(scope).values_list("name", flat=True))
    assert names == {"Alpha Dental", "Bravo Logistics"}


def test_inactive_user_has_empty_scope(world):
    user = world.users["client_admin_a"]
    user.is_active = False
    scope = Scope.for_user(user)
    assert not Client.objects.for_scope(scope).exists()
    with pytest.raises(PermissionDenied):
        scope.require("clients.view")


def test_narrowed_scope_never_widens(world):
    scope = Scope.for_user(world.users["technician_a"])
    narrowed = scope.narrowed(
        client_ids=[world.client_a.pk, world.client_b.pk], permissions=["clients.view", "x"]
    )
    assert narrowed.client_ids == frozenset({world.client_a.pk})
    assert narrowed.permissions == frozenset({"clients.view"})
