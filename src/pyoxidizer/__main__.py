from pyoxidizer.cli import main

raise SystemExit(main())
