"""Virtual agents speaking the real agent protocol over HTTP (``steward simulate``).

- :mod:`~steward.devices.simulator.fleet`: deterministic machine profiles (OS mix, hardware,
  software, problems) built from a seed;
- :mod:`~steward.devices.simulator.agent`: one virtual agent (enroll, check in, inventory);
- :mod:`~steward.devices.simulator.runner`: N agents on one asyncio loop with shared
  connection pool and statistics.

Nothing here imports Django: the simulator runs against any server it can reach.
"""
