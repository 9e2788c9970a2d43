"""The week grid's lanes (cbcw/calendar/lanes.py): overlapping blocks side by side, at most three lanes,
the rest counted on a "+N more" tile over their hours."""
from dataclasses import dataclass

from cbcw.calendar.lanes import MAX_LANES, Overflow, lay_out


@dataclass(frozen=True)
class Block:
    first_hour: int
    hours: int


def lanes_of(blocks):
    placed, overflows = lay_out(blocks)
    return {p.item: (p.lane, p.lanes) for p in placed}, overflows


def test_blocks_apart_are_full_width_and_overlapping_ones_share_the_column():
    alone, first, second = Block(1, 2), Block(9, 2), Block(10, 2)
    lanes, overflows = lanes_of([alone, first, second])
    assert lanes == {alone: (0, 1), first: (0, 2), second: (1, 2)} and overflows == []


def test_a_lane_freed_is_reused_and_a_chain_of_overlaps_is_one_cluster():
    """9–11 and 10–12 overlap, 11–13 overlaps the second and takes the first's freed lane: all are halves."""
    a, b, c = Block(9, 2), Block(10, 2), Block(11, 2)
    lanes, _ = lanes_of([a, b, c])
    assert lanes == {a: (0, 2), b: (1, 2), c: (0, 2)}


def test_three_overlapping_fill_three_lanes():
    blocks = [Block(3, 3), Block(3, 2), Block(4, 1)]
    lanes, overflows = lanes_of(blocks)
    assert sorted(lanes.values()) == [(0, 3), (1, 3), (2, 3)] and overflows == []


def test_five_overlapping_show_two_and_a_tile_counting_the_rest_over_their_hours():
    blocks = [Block(9, 4), Block(9, 1), Block(10, 3), Block(11, 2), Block(11, 1)]
    lanes, overflows = lanes_of(blocks)
    assert lanes == {Block(9, 4): (0, 3), Block(9, 1): (1, 3), Block(10, 3): (1, 3)}
    assert overflows == [Overflow(count=2, first_hour=11, hours=2)]
    assert all(lane < MAX_LANES - 1 for lane, _ in lanes.values())  # the last lane is the tile's


def test_many_at_one_hour_never_need_more_than_the_bounded_lanes():
    blocks = [Block(20, 4) for _ in range(40)]
    placed, overflows = lay_out(blocks)
    assert len(placed) == MAX_LANES - 1 and overflows[0].count == 40 - len(placed)
    assert {(p.lane, p.lanes) for p in placed} | {(overflows[0].lane, overflows[0].lanes)} == {(0, 3), (1, 3), (2, 3)}
