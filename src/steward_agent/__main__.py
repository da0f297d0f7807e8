from steward_agent.cli import main

raise SystemExit(main())
