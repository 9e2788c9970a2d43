"""@hostname mentions link devices to a change (PRODUCT §2.4)."""
import pytest

from cbcw.changes import operations
from cbcw.changes.mentions import extract_mentions
from cbcw.changes.models import ChangeDevice, TimelineEntry
from cbcw.changes.template_filters import highlight_mentions
from cbcw.changes.unit_of_work import apply

from .conftest import edited



@pytest.mark.parametrize(
    "text, expected",
    [
        ("Reboot @server01 then @web-02.", ["server01", "web-02"]),
        ("Mail admin@example.com about @db_1, please", ["db_1"]),
        ("@fs01.acme.local: patch", ["fs01.acme.local"]),
        ("(@sw-core) and [@fw1]", ["sw-core", "fw1"]),
        ("@Server01 and @server01 and @SERVER01", ["Server01"]),
        ("no mentions here, nor @ alone, nor @@double, nor @-dash", []),
        ("first line\n@alpha\n@beta...", ["alpha", "beta"]),
    ],
)
def test_extract_mentions(text, expected):
    """Mentions are @hostname tokens, not emails, without trailing punctuation, de-duplicated."""
    assert extract_mentions(text) == expected


def test_extract_mentions_across_texts_in_order():
    """Several texts are scanned in order and duplicates across them are dropped."""
    assert extract_mentions("@b @a", None, "", "@A @c") == ["b", "a", "c"]


def _linked(change):
    return sorted(link.device.hostname for link in change.devices)


def test_mentions_in_description_and_plans_link_devices(db, new_change, make_device, company, entries):
    """Mentioned devices are linked, each with a timeline entry."""
    make_device("srv01", company=company)
    make_device("srv02", company=company)
    make_device("srv03", company=company)
    make_device("srv04", company=company)
    change = new_change(description="@srv01", implementation_plan="@SRV02", rollback_plan="@srv03",
                        test_plan="ping @srv04", reason="@srv99 is not scanned")
    assert _linked(change) == ["srv01", "srv02", "srv03", "srv04"]
    assert change.unresolved_mentions == []
    assert entries(change) == ["created"] + ["device_linked"] * 4
    assert change.version == 1


def test_unknown_hostnames_are_kept_as_unresolved(db, new_change):
    """A hostname matching no device is stored, not dropped."""
    change = new_change(description="Touch @ghost01 and @ghost02")
    db.session.expire_all()
    assert change.unresolved_mentions == ["ghost01", "ghost02"] and change.devices == []


def test_same_company_device_wins(new_change, make_device, make_company, company):
    """A hostname present in two companies resolves to the change's company."""
    make_device("dc01", company=make_company("Other client"))
    mine = make_device("dc01", company=company)
    change = new_change(description="@dc01")
    assert [link.device_id for link in change.devices] == [mine.id]


def test_falls_back_to_any_device_of_the_organisation(new_change, make_device, make_company):
    """A hostname not in the change's company resolves to another company's device."""
    elsewhere = make_device("nas01", company=make_company("Sister company"))
    change = new_change(description="@nas01")
    assert [link.device_id for link in change.devices] == [elsewhere.id]


def test_active_devices_are_preferred(new_change, make_device, company):
    """Between two matches in the same company, the active device wins."""
    make_device("app01", company=company, active=False)
    active = make_device("app01", company=company)
    change = new_change(description="@app01")
    assert [link.device_id for link in change.devices] == [active.id]


def test_an_inactive_device_is_still_linked(new_change, make_device, company):
    """An inactive device is better than an unresolved name."""
    retired = make_device("old01", company=company, active=False)
    change = new_change(description="@old01")
    assert [link.device_id for link in change.devices] == [retired.id]


def test_other_organisations_devices_are_never_matched(new_change, make_device, make_org):
    """A hostname that exists only in another organisation stays unresolved."""
    make_device("secret01", organisation=make_org())
    change = new_change(description="@secret01")
    assert change.devices == [] and change.unresolved_mentions == ["secret01"]


def test_editing_links_new_and_unlinks_removed_mentions(db, new_change, make_device, company, engineer):
    """Re-syncing on edit links added mentions, unlinks removed ones and keeps the timeline."""
    make_device("a01", company=company)
    make_device("b01", company=company)
    change = new_change(description="@a01 @zz01")
    apply(operations.update_change, change, engineer,
                    fields=edited(change, description="now @b01 and @yy01"))
    assert _linked(change) == ["b01"]
    assert change.unresolved_mentions == ["yy01"]
    kinds = db.session.scalars(
        db.select(TimelineEntry.kind).filter_by(change_id=change.id).order_by(TimelineEntry.id)
    ).all()
    assert kinds == ["created", "device_linked", "updated", "device_unlinked", "device_linked"]
    assert db.session.scalar(db.select(db.func.count(ChangeDevice.id))) == 1


def test_changing_the_company_relinks_to_its_device(new_change, make_device, make_company, company,
                                                    engineer):
    """When the company changes, a mention resolves again against the new company first."""
    other = make_company("Beta Ltd")
    make_device("fw01", company=company)
    theirs = make_device("fw01", company=other)
    change = new_change(description="@fw01")
    apply(operations.update_change, change, engineer, fields=edited(change, company_id=other.id))
    assert [link.device_id for link in change.devices] == [theirs.id]


def test_a_device_added_later_resolves_on_the_next_edit(new_change, make_device, company, engineer):
    """An unresolved name becomes a link once the device exists and the change is saved."""
    change = new_change(description="@late01")
    make_device("late01", company=company)
    apply(operations.update_change, change, engineer, fields=edited(change, description="@late01 now"))
    assert _linked(change) == ["late01"] and change.unresolved_mentions == []


def test_highlight_marks_linked_and_unresolved_mentions_and_escapes():
    """Mentions are marked linked or unresolved; the rest of the text is HTML-escaped."""
    html = str(highlight_mentions("Reboot @srv01, then <b>@ghost</b>. Mail ops@acme.test", ["ghost"]))
    assert '<span class="mention">@srv01</span>,' in html
    assert '&lt;b&gt;<span class="mention-unresolved">@ghost</span>&lt;/b&gt;.' in html
    assert "ops@acme.test" in html and "<b>" not in html
