"""How an integration (a PSA such as ConnectWise) plugs into the core: `spec.Integration` is the one
declaration an integration writes; `registry` loads those named in config `INTEGRATIONS`, registers
their parts on the app and answers the core's questions. This package names no integration."""
