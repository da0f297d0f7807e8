import pytest
from tests.servicedesk.mail import conftest

def test_x(request, monkeypatch):
    monkeypatch.setattr(conftest, "DOVECOT", "/nonexistent/dovecot")
    request.getfixturevalue("dovecot_server")
