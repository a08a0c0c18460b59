"""examples/ stay exactly what the template renders from their answers files.

Strategy: run the same command a developer runs (`dev/render_examples.py --check`) so that a template change
committed without re-rendering the examples fails here, with the diff in the output.
"""

from __future__ import annotations

from conftest import EXAMPLES, PYTHON, ROOT, run


def test_every_answers_file_has_its_example() -> None:
    answers_files = sorted(EXAMPLES.glob("*.yml"))
    assert [path.stem for path in answers_files] == sorted(path.name for path in EXAMPLES.iterdir() if path.is_dir())
    assert {"qwen_text2image", "siliconflow_images"} <= {path.stem for path in answers_files}


def test_examples_match_a_fresh_rendering() -> None:
    result = run([PYTHON, "dev/render_examples.py", "--check"], cwd=ROOT, timeout=120)
    assert result.returncode == 0, "examples/ drifted from the template; diff:\n" + result.stdout + result.stderr


def test_examples_answers_pin_volatile_keys() -> None:
    for example in EXAMPLES.iterdir():
        if example.is_dir():
            text = (example / ".copier-answers.yml").read_text(encoding="utf-8")
            assert "_commit: HEAD\n" in text and "_src_path: ../..\n" in text, example.name


def test_one_example_is_rendered_by_name_and_an_unknown_name_is_refused() -> None:
    result = run([PYTHON, "dev/render_examples.py", "--check", "siliconflow_images"], cwd=ROOT, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "examples/siliconflow_images: up to date", result.stdout
    result = run([PYTHON, "dev/render_examples.py", "--check", "nope"], cwd=ROOT, timeout=60)
    assert result.returncode == 2 and "no examples/<name>.yml for nope" in result.stderr


def test_examples_answers_hold_decisions_only() -> None:
    # The API mapping comes from presets/ at render time; an example that stored it could not get preset fixes.
    mapping_keys = {"base_url", "submit_path", "poll_path", "body_fields", "result_field", "models", "sizes", "mode"}
    for answers_file in EXAMPLES.glob("*.yml"):
        text = answers_file.read_text(encoding="utf-8")
        assert not [key for key in mapping_keys if f"\n{key}:" in text], answers_file.name
