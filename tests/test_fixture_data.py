"""The in-repo copy of the shared open data (tests/fixtures/shared): complete, unchanged, small, attributed."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from geo.data.build import SHARED_FILES

#: The copy must stay small enough to live in the repository.
MAX_TOTAL_BYTES = 7_000_000  # incl. the 2.2 MB Delft drive network the build test needs
BOOKKEEPING = {"README.md", "SHA256SUMS", "copy_shared.py", ".gitattributes"}


def _sums(data_root: Path) -> dict[str, str]:
    lines = (data_root / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines if line)}


def _copier(data_root: Path):
    spec = importlib.util.spec_from_file_location("copy_shared", data_root / "copy_shared.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_copied_file_is_listed_and_unchanged(data_root: Path) -> None:
    sums = _sums(data_root)
    on_disk = {
        p.relative_to(data_root).as_posix()
        for p in data_root.rglob("*")
        if p.is_file() and p.name != "PROVENANCE.md" and p.name not in BOOKKEEPING and "__pycache__" not in p.parts
    }
    assert on_disk == set(sums), "files in tests/fixtures/shared and SHA256SUMS differ"
    changed = [n for n, d in sums.items() if hashlib.sha256((data_root / n).read_bytes()).hexdigest() != d]
    assert not changed, f"changed since copied from ../shared/data (a test must not write here): {changed}"
    listed = {f"{folder}/{name}" for folder, spec in _copier(data_root).FOLDERS.items() for name in spec["files"]}
    assert set(sums) == listed


def test_copy_is_small_and_every_folder_says_where_it_comes_from(data_root: Path) -> None:
    sums = _sums(data_root)
    total = sum((data_root / n).stat().st_size for n in sums)
    assert total < MAX_TOTAL_BYTES, f"{total:,} bytes of copied data; keep it under {MAX_TOTAL_BYTES:,}"
    for folder in {n.split("/", 1)[0] for n in sums}:
        text = (data_root / folder / "PROVENANCE.md").read_text(encoding="utf-8")
        assert "Licence:" in text and "Publisher:" in text and "Left out:" in text, folder
        for name in (n.split("/", 1)[1] for n in sums if n.startswith(folder + "/")):
            assert f"`{name}`" in text, f"{folder}/PROVENANCE.md does not name {name}"


def test_every_input_of_the_default_build_is_in_the_copy(data_root: Path) -> None:
    """So tests/test_build.py rebuilds data/utrecht from the copy alone (a new input must be copied too)."""
    missing = [rel for rel in SHARED_FILES.values() if not (data_root / rel).is_file()]
    assert not missing, f"build_default reads files not in tests/fixtures/shared: {missing}; add them to copy_shared.py"


def test_copy_is_what_copy_shared_writes_from_the_shared_data(
    full_shared_data: Path, data_root: Path, tmp_path: Path
) -> None:
    """With ../shared/data present: the copies, their PROVENANCE.md and SHA256SUMS are current, byte for byte."""
    written = _copier(data_root).copy_all(full_shared_data, tmp_path)
    stale = [p.relative_to(tmp_path).as_posix() for p in written
             if p.read_bytes() != (data_root / p.relative_to(tmp_path)).read_bytes()]
    assert not stale, f"out of date with ../shared/data, run tests/fixtures/shared/copy_shared.py: {stale}"
