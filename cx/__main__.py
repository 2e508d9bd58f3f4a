from cx.cli import main

raise SystemExit(main())
