"""Configuration sync (PRODUCT §3.3): ConnectWise configurations of mapped types, for mapped
companies, become devices.

- `models.py`: `SyncRun`, one row per run (the history, the progress, the one-at-a-time guard);
- `runs.py`: requesting, claiming and finishing runs; the guard; which runs are full;
- `hostnames.py`: configuration names → `@`-mentionable hostnames, collisions resolved;
- `devices.py`: one page of configurations applied to the devices, with the counts;
- `runner.py`: a whole run: pages streamed by key, one transaction per page, deactivation;
- `jobs.py`: the scheduler's jobs and `flask sync-configs`.
"""
