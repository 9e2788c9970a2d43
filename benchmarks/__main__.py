"""`make bench`: client paging, then the configuration sync (see each module's docstring)."""
from benchmarks import paging, sync

if __name__ == "__main__":
    paging.main()
    print()
    sync.main()
