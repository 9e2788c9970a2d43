"""Background jobs in their own process (`flask scheduler`), never in a web worker."""
