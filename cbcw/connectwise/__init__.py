"""ConnectWise PSA integration: `api/` (the REST client), `settings/`, `tickets/`, `automation/`,
`sync/`, `drift/`."""
