"""Configuration sync (PRODUCT §3.3): ConnectWise configurations of mapped types, for mapped
companies, become devices.

- `models.py`: `SyncRun`, one row per run (the history, the progress, the one-at-a-time guard);
- `runs.py`: requesting, claiming and finishing runs; the guard; which runs are full;
- `devices.py`: one page of configurations applied to the devices, with the counts;
- `hostname_book.py`: hostnames unique within a company (`-2`, `-3` … on a clash);
- `runner.py`: a whole run: pages streamed by key, one transaction per page, deactivation;
- `jobs.py`: the scheduler's jobs and `flask sync-configs`;
- `routes.py`: the sync section of the settings page (Sync Configurations Now, progress, history).
"""
