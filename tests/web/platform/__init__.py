"""Platform: log-in, rights, audit, history, search, settings, numbering, notifications, jobs."""
