"""The event runtime: loop selection, services, reconnecting clients, timers, callback protocols."""
