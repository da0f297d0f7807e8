"""Wire models shared by the Steward server and the endpoint agent.

Empty until the agent issue: messages (check-in, inventory, job results) will be pydantic
models defined here once, imported by both sides.
"""

PROTOCOL_VERSION = 1
