"""Training sessions: a background process (simulator, fault timeline, monitor, check watcher)
and the commands a trainee runs against it. State lives in files under the session directory,
append-only where it matters, so killing any process loses nothing already recorded."""
