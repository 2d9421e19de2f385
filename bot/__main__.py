from bot.process.cli import main

raise SystemExit(main())
