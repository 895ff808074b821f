"""Settled objects are kept out of the collector's full passes during bulk work, and only then."""

from __future__ import annotations

import gc

from reminder.heap import BULK_YOUNG_THRESHOLD, settled_objects_frozen


def test_objects_alive_on_entry_are_frozen_inside_and_released_after() -> None:
    settled = [object() for _ in range(10)]
    assert gc.get_freeze_count() == 0
    with settled_objects_frozen():
        assert gc.get_freeze_count() >= len(settled)
    assert gc.get_freeze_count() == 0


def test_garbage_made_inside_the_block_is_still_collected() -> None:
    with settled_objects_frozen():
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1


def test_the_young_generation_is_collected_less_often_inside_and_as_before_after() -> None:
    before = gc.get_threshold()
    with settled_objects_frozen():
        assert gc.get_threshold()[0] >= BULK_YOUNG_THRESHOLD
        assert gc.get_threshold()[1:] == before[1:]
        with settled_objects_frozen():
            assert gc.get_threshold()[0] >= BULK_YOUNG_THRESHOLD
        assert gc.get_threshold()[0] >= BULK_YOUNG_THRESHOLD
    assert gc.get_threshold() == before
