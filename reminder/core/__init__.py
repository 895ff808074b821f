"""The application core: `App` owns config, project, store, gateway and clock and exposes every
use case; the CLI, the daemon's triggers and the web console are its clients."""
