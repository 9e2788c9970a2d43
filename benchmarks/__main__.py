"""`make bench`: client paging, the configuration sync, then the outbox (see each module's docstring)."""
from benchmarks import outbox, paging, sync

if __name__ == "__main__":
    paging.main()
    print()
    sync.main()
    print()
    outbox.main()
