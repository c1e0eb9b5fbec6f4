"""The repository documents itself (issue 8, point 12): no reference to a design or contract file
that is not in it, links that resolve, every JSON key a command prints described in docs/json.md,
no dependency the code does not use."""
import json
import re
import subprocess
import tomllib

from intake_bot.cli import build_parser, main

from .conftest import CORPUS, REPO

MISSING_FILES = ("cli-contract.md", "DESIGN.md", "DESIGN invariant")


def tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        path = REPO / name
        if path.suffix in (".py", ".md", ".toml", ".service", ".j2", "") and path.is_file() and name != "tests/test_docs.py":
            yield name, path.read_text(encoding="utf-8", errors="replace")


def test_no_reference_to_a_file_the_repository_does_not_hold():
    found = [(name, missing) for name, text in tracked_text_files() for missing in MISSING_FILES if missing in text]
    assert found == []


def test_the_readme_links_its_documents_and_every_link_resolves():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "docs/json.md" in readme and "docs/design.md" in readme
    for target in re.findall(r"\]\(([^)#:]+)\)", readme):
        assert (REPO / target).exists(), target


def test_the_help_names_the_json_document(capsys):
    extract = build_parser()._subparsers._group_actions[0].choices["extract"]
    assert "docs/json.md" in extract.format_help()


def test_mail_parser_is_no_dependency_and_no_module_imports_it():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(d.lower().startswith(("mail-parser", "mail_parser")) for d in project["dependencies"])
    for path in (REPO / "intake_bot").rglob("*.py"):
        assert not re.search(r"^\s*(import|from)\s+mailparser", path.read_text(encoding="utf-8"), re.M), path


def documented(key: str) -> bool:
    return f"`{key}`" in JSON_DOC or f'"{key}"' in JSON_DOC


JSON_DOC = (REPO / "docs" / "json.md").read_text(encoding="utf-8")


def printed(capsys, *argv) -> object:
    code = main(list(argv))
    out, _ = capsys.readouterr()
    assert code in (0, 3)
    return json.loads(out)


def test_every_key_the_commands_print_is_described(tmp_path, capsys):
    extract = printed(capsys, "extract", str(CORPUS / "documents" / "d05.docx"), "--json")
    classify = printed(capsys, "classify", str(CORPUS / "emails" / "e03.eml"), "--json")
    data = tmp_path / "demo"
    main(["--data-dir", str(data), "demo"])
    capsys.readouterr()
    status = printed(capsys, "--data-dir", str(data), "--now", "2024-05-14T17:00:00+07:00", "status", "--json")
    remind = printed(capsys, "--data-dir", str(data), "--now", "2024-05-14T08:30:00+07:00", "remind", "--dry-run", "--json")
    command = printed(capsys, "--data-dir", str(data), "--now", "2024-05-14T17:00:00+07:00", "command",
                      "YÊU CẦU BỔ SUNG Mỹ Hào 24/5: danh sách dự án", "--json")
    review = printed(capsys, "--data-dir", str(data), "--now", "2024-05-14T17:00:00+07:00", "review", "--json")
    after = printed(capsys, "--data-dir", str(data), "--now", "2024-05-14T17:00:00+07:00", "status", "--json")
    requests = next(u["requests"] for u in after["units"] if u["requests"])
    keys = {*extract, *extract["metadata"], *extract["tables"][0], *classify, *status, *status["units"][0],
            *status["review"][0], *remind[0], *command, *review[0], *after["commands"][0], *requests[0]}
    undocumented = sorted(key for key in keys if not documented(key))
    assert undocumented == [], f"describe these keys in docs/json.md: {undocumented}"
