"""Where training jobs run: in the server's own process (`core.train.Job`, a thread), in a
worker process per job (`process`), or as Ray actors on a cluster (`ray`). The last two share one
UI-side proxy (`RemoteJob`) with the Job interface, so pages never know the difference."""
