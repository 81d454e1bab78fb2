"""A standing notice (`curator demo`'s: its scores come from random weights) in the title and the status bar."""

from __future__ import annotations


def test_a_notice_stays_in_the_title_and_the_status_bar(open_window, shoot_catalog) -> None:
    from ui.app import show_notice

    db, _ = shoot_catalog
    w = open_window(db)
    show_notice(w, "DEMO: scores from random weights")
    assert w.windowTitle().endswith("— DEMO: scores from random weights")
    assert w.status.notice_label.text() == "DEMO: scores from random weights"
    w.status.say("Undid: reject")  # the last message never replaces it
    assert w.status.notice_label.text() == "DEMO: scores from random weights"
