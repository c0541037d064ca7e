"""Privacy: consent history, transparency pages, data export and erasure, retention, CSP."""
