from tests.automation.conftest import deliver_all, writes, outbox


def test_smoke(db, linked, cw_sim):
    """tmp"""
    change = linked()
    rows = outbox(db, change)
    print([(r.kind, r.payload) for r in rows])
    report = deliver_all()
    print(report)
    for w in writes(cw_sim):
        print(w["method"], w["path"], w["status"], w["json"])
    for r in outbox(db, change):
        print(r.kind, r.state, r.last_error, r.result.get("summary"))
    assert 0
