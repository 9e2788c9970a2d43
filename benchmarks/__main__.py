"""`make bench`: client paging, the configuration sync, the outbox, then the ticket pages (see each module's docstring)."""
from benchmarks import outbox, paging, sync, ticket_pages

if __name__ == "__main__":
    paging.main()
    print()
    sync.main()
    print()
    outbox.main()
    print()
    ticket_pages.main()
