"""README promises users rely on: the parameter table and the two set-up commands."""

import re
from pathlib import Path

from piktid_spec import EDIT_CHAT

README = Path(__file__).resolve().parent.parent / "README.md"


def test_parameter_table_is_generated_from_edit_chat() -> None:
    text = README.read_text()
    found = re.search(r"<!-- EDIT_CHAT table start -->\n(.*?)\n<!-- EDIT_CHAT table end -->", text, re.S)
    assert found, "README lost its EDIT_CHAT table markers"
    assert found.group(1) == EDIT_CHAT.markdown_table(), (
        "README's parameter table drifted from piktid_spec.EDIT_CHAT: paste EDIT_CHAT.markdown_table()"
    )


def test_readme_shows_the_two_setup_commands() -> None:
    text = README.read_text()
    assert "make serve" in text and "make test" in text


def test_readme_usage_example_holds() -> None:
    from piktid_spec import Account, credits_for, output_size, validate_edit_chat

    codes = [
        v.code
        for v in validate_edit_chat(
            {"prompt": "A red bicycle", "size": "4K", "num_variations": 5}, account=Account("free", credits=40)
        )
    ]
    assert codes == ["num_variations_out_of_range", "size_not_in_plan"]
    assert credits_for({"prompt": "A red bicycle", "size": "4K", "num_variations": 3}) == 30
    assert output_size({"prompt": "x", "output_mode": "ratio", "aspect_ratio": "16:9"}) == (2048, 1152)


def test_every_setting_is_documented() -> None:
    import dataclasses

    from mock_server.settings import Settings

    text = README.read_text()
    table = text.split("<!-- settings table start -->")[1].split("<!-- settings table end -->")[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, re.M))
    assert documented == {f.name for f in dataclasses.fields(Settings)}


def test_readme_python_examples_run(capsys) -> None:
    """Every ```python block of README runs as written; the in-process one prints "completed"."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip().splitlines()[-1] == "completed"
