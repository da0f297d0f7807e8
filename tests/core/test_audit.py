import itertools

import pytest
from django.db import DatabaseError, connection, transaction

from steward.core import audit
from steward.core.models import AppendOnlyError, AuditChainHead, AuditEntry, Client, Site, User
from steward.core.scoping import Scope


def entries_for(obj):
    return list(
        AuditEntry.unscoped.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq")
    )


def test_create_update_delete_are_recorded_with_before_and_after(world):
    actor = audit.Actor.for_user(world.users["provider_admin"], ip="203.0.113.7", user_agent="pytest")
    with audit.acting_as(actor):
        site = Site.unscoped.create(client=world.client_a, name="Annex", time_zone="Europe/London")
        site = Site.unscoped.get(pk=site.pk)
        site.city = "Leeds"
        site.save()
        site_pk = site.pk
        site.delete()
    created, updated, deleted = AuditEntry.unscoped.filter(
        object_type="core.site", object_id=str(site_pk)
    ).order_by("seq")
    assert created.action == "create" and created.changes["name"] == [None, "Annex"]
    assert updated.action == "update" and updated.changes == {"city": ["", "Leeds"]}
    assert deleted.action == "delete" and deleted.changes["name"] == ["Annex", None]
    for entry in (created, updated, deleted):
        assert entry.actor_type == "user"
        assert entry.actor_id == world.users["provider_admin"].pk
        assert entry.ip == "203.0.113.7"
        assert entry.client_id == world.client_a.pk
        assert entry.provider_id == world.provider.pk


def test_save_without_changes_writes_nothing(world):
    client = Client.unscoped.get(pk=world.client_a.pk)
    before = AuditEntry.unscoped.count()
    client.save()
    assert AuditEntry.unscoped.count() == before


def test_password_is_redacted(world):
    user = User.unscoped.get(pk=world.users["end_user_a"].pk)
    user.set_password("another-long-password-1")
    user.save()
    entry = entries_for(user)[-1]
    before, after = entry.changes["password"]
    assert before.startswith("[redacted]") and after.startswith("[redacted]") and before != after
    assert "another-long-password-1" not in str(entry.changes)


def test_cascade_delete_records_children(world):
    site_pk = world.site_b.pk
    Client.unscoped.get(pk=world.client_b.pk).delete()
    assert AuditEntry.unscoped.filter(
        object_type="core.site", object_id=str(site_pk), action="delete"
    ).exists()
    assert AuditEntry.unscoped.filter(
        object_type="core.client", action="delete", client_id=world.client_b.pk
    ).exists()


def test_permission_change_is_recorded(world):
    tech = world.users["technician_a"]
    tech.granted_clients.add(world.client_b)
    entry = AuditEntry.unscoped.filter(action="permission_change", object_id=str(tech.pk)).latest("seq")
    assert entry.changes == {"granted_clients": {"added": [world.client_b.pk]}}


def test_system_actor_is_named(world):
    with audit.acting_as(audit.Actor.system("job:nightly")):
        Client.unscoped.filter(pk=world.client_a.pk).first().save()  # no change: no entry
        entry = audit.record("note", obj=world.client_a)
    assert entry.actor_type == "system" and entry.actor_label == "job:nightly"


def test_chain_verifies_and_links(world):
    report = audit.verify_chain()
    assert report.ok and report.checked == AuditEntry.unscoped.count() > 0
    entries = list(AuditEntry.unscoped.order_by("seq"))
    assert entries[0].prev_hash == audit.GENESIS_HASH
    for previous, current in itertools.pairwise(entries):
        assert current.prev_hash == previous.hash
        assert current.seq == previous.seq + 1
    head = AuditChainHead.objects.get(pk=1)
    assert head.last_seq == entries[-1].seq and head.last_hash == entries[-1].hash


def test_orm_refuses_to_change_or_delete_entries(world):
    entry = AuditEntry.unscoped.first()
    entry.action = "forged"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    scope = Scope.for_user(world.users["provider_admin"])
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.for_scope(scope).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.for_scope(scope).delete()


def test_database_refuses_updates(world):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditentry SET action = 'forged'")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's guard is the hash chain for deletes")
def test_postgresql_refuses_deletes(world):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry")


def _tamper(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER core_auditentry_append_only")
        else:
            cursor.execute("DROP TRIGGER core_auditentry_no_update")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER core_auditentry_append_only")


def test_verify_reports_the_first_altered_entry(world):
    target = AuditEntry.unscoped.order_by("seq")[2]
    _tamper("UPDATE core_auditentry SET actor_label = %s WHERE seq = %s", ["someone-else", target.seq])
    report = audit.verify_chain()
    assert not report.ok
    assert report.first_broken_seq == target.seq
    assert "altered" in report.reason


def test_verify_reports_a_removed_entry(world):
    target = AuditEntry.unscoped.order_by("seq")[3]
    _tamper("DELETE FROM core_auditentry WHERE seq = %s", [target.seq])
    report = audit.verify_chain()
    assert not report.ok and report.first_broken_seq == target.seq
    assert "missing" in report.reason


def test_client_admin_sees_only_own_client_entries(world):
    scope = Scope.for_user(world.users["client_admin_a"])
    client_ids = set(AuditEntry.objects.for_scope(scope).values_list("client_id", flat=True))
    assert client_ids == {world.client_a.pk}
