"""The typed ConnectWise calls ChangeBreeze makes, one module per API section (the first segment
of the path: /system, /company, /service, /schedule, /time). Each section is an `ApiSession`
with thin methods that name the path and fields and re-check what comes back; `client.py`
combines them into `ConnectWiseClient`."""
