from tfnote.cli import main

raise SystemExit(main())
