"""`make bench`: client paging, the configuration sync, the outbox, the ticket pages, then the dashboard (see each module's docstring)."""
from benchmarks import dashboard, outbox, paging, sync, ticket_pages

if __name__ == "__main__":
    paging.main()
    print()
    sync.main()
    print()
    outbox.main()
    print()
    ticket_pages.main()
    print()
    dashboard.main()
