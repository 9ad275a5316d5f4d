"""The README is what users read first: it must be current and its commands must exist."""

from __future__ import annotations

import re
from pathlib import Path

from typer.main import get_command

from stacks.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_readme_is_a_front_page_and_the_pages_it_links_exist():
    """The README stays short; the details live in one page per topic under docs/."""
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 400
    links = re.findall(r"\]\(((?:docs/)[^)#\s]+)(?:#[^)]*)?\)", readme)
    assert {"docs/spec.md", "docs/cost.md", "docs/policy.md"} <= set(links)
    missing = [link for link in links if not (ROOT / link).is_file()]
    assert not missing, missing


def test_every_docs_page_is_linked_from_the_readme_and_its_images_exist():
    readme = (ROOT / "README.md").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert f"docs/{page.name}" in readme, page.name
        for image in re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", page.read_text()):
            assert (page.parent / image).is_file(), (page.name, image)


def test_quick_start_gives_the_two_commands_and_they_exist_in_the_makefile():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_every_pioneer_command_in_the_readme_is_a_real_command():
    readme = (ROOT / "README.md").read_text()
    root = get_command(app)
    # In inline code and in code blocks (`pioneer cost …`, `$ pioneer plan …`), not prose.
    used = set(re.findall(r"`pioneer ([a-z]+)", readme))
    in_block = False
    for line in readme.splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and (m := re.match(r"^(?:\$ )?pioneer ([a-z]+)", line)):
            used.add(m.group(1))
    assert used, "the README shows pioneer commands"
    assert used <= set(root.commands), sorted(used - set(root.commands))


def test_the_stack_file_the_readme_shows_is_the_shipped_one():
    """#19.18: the README says "the whole of stacks/Pulumi.aws-dev.yaml"; it must be."""
    import yaml

    text = (ROOT / "README.md").read_text()
    after = text.split("The whole of `stacks/Pulumi.aws-dev.yaml`", 1)[1]
    block = after.split("```yaml", 1)[1].split("```", 1)[0]
    shipped = yaml.safe_load((ROOT / "stacks" / "Pulumi.aws-dev.yaml").read_text())
    assert yaml.safe_load(block) == shipped
