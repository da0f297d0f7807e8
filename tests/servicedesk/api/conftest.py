from tests.api.conftest import _fast_password_hashing, api_as, make_token, session_as  # noqa: F401
