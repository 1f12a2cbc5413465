"""The server suite's oracle: statuses, prices, sizes and outcomes from ``piktid_spec`` alone."""

from __future__ import annotations

from contract_tests.server.expect import Draw, expect
from contract_tests.server.world import World
from mock_server.settings import Settings

SETTINGS = Settings()


def test_a_broken_rule_gives_its_catalogue_status() -> None:
    assert (
        expect(
            Draw({"prompt": "x", "num_variations": 5}, "pro", 1000, code="num_variations_out_of_range"), SETTINGS, None
        ).status
        == 400
    )
    assert (
        expect(Draw({"prompt": "x", "size": "2K"}, "free", 1000, code="size_not_in_plan"), SETTINGS, None).status == 403
    )


def test_a_warning_is_accepted_unless_strict() -> None:
    draw = Draw({"prompt": "x", "size": "1K", "num_variaton": 2}, "pro", 1000, code="unknown_field")
    assert expect(draw, SETTINGS, None).status == 202
    assert (expect(draw, Settings(strict=True), None).status, expect(draw, Settings(strict=True), None).code) == (
        400,
        "unknown_field",
    )


def test_price_and_balance_decide_402() -> None:
    draw = Draw({"prompt": "x", "size": "4K", "num_variations": 3}, "pro", 29)
    refused = expect(draw, SETTINGS, None)
    assert (refused.status, refused.code, refused.per_image, refused.variations) == (402, "insufficient_credits", 10, 3)
    accepted = expect(Draw(draw.payload, "pro", 30), SETTINGS, None)
    assert accepted.status == 202 and accepted.charged == 30


def test_the_content_filter_comes_before_credits() -> None:
    blocked = Draw({"prompt": f"a {SETTINGS.blocklist[0]}", "size": "1K"}, "free", 0)
    assert (expect(blocked, SETTINGS, None).status, expect(blocked, SETTINGS, None).code) == (403, "content_blocked")


def test_a_refusal_falls_back_only_under_auto() -> None:
    auto = expect(Draw({"prompt": "x", "size": "1K"}, "pro", 100, "refused"), SETTINGS, None)
    assert auto.statuses == ("completed",) and auto.model_used == SETTINGS.fallback_engine and auto.charged == 3
    pinned = expect(Draw({"prompt": "x", "size": "1K", "model": "gpt_image"}, "pro", 100, "refused"), SETTINGS, None)
    assert pinned.statuses == ("failed",) and pinned.charged == 0


def test_sizes_follow_the_output_mode() -> None:
    match = expect(Draw({"image_ids": ["f"], "size": "1K"}, "pro", 100), SETTINGS, (320, 240))
    ratio = expect(Draw({"prompt": "x", "output_mode": "ratio", "aspect_ratio": "16:9"}, "pro", 100), SETTINGS, None)
    custom = expect(
        Draw({"prompt": "x", "output_mode": "custom", "width": 512, "height": 1024}, "pro", 100), SETTINGS, None
    )
    assert (match.size, ratio.size, custom.size) == ((320, 240), (2048, 1152), (512, 1024))


def test_world_binds_valid_ids_and_leaves_broken_ones() -> None:
    world = World("t", [("file_a", (320, 240)), ("file_b", (200, 360))], ["id_1", "id_2"], "job_c", (64, 48))
    bound = world.bind({"image_ids": ["x", "y", "z"], "identity_codes": ["q"], "conversation_id": "other"})
    assert bound == {
        "image_ids": ["file_a", "file_b", "file_a"],
        "identity_codes": ["id_1"],
        "conversation_id": "job_c",
    }
    broken = {"image_ids": ["x", ""], "identity_codes": "q", "conversation_id": 7}
    assert world.bind(broken) == broken
    assert world.input_size({"image_ids": ["file_b"]}) == (200, 360)
    assert world.input_size({"image_ids": ["file_b"], "conversation_id": "job_c"}) == (64, 48)
