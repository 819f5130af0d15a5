from dynamictech.cli import main

raise SystemExit(main())
