"""geo/data/paths.py: the one place that knows where the product's files are, and the app version from git.

If a path here is wrong the app opens without its default data or without a map (Leaflet
is served from ``static/``); the version is printed in every export, so it must come out
right for a normal clone, a linked worktree and a detached checkout, and be ``None``
(never a crash) when it cannot be read.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from geo.data import paths
from geo.data.paths import detect_app_version

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_the_product_files_are_where_the_paths_say() -> None:
    assert (paths.PROJECT_ROOT / "app.py").is_file()
    assert (paths.DEFAULT_DATA_DIR / "dataset.gpkg").is_file() and (paths.DEFAULT_DATA_DIR / "dataset.json").is_file()
    assert paths.DEFAULT_DATA_DIR.parent == paths.DATA_DIR
    assert (paths.LEAFLET_DIR / "leaflet.js").is_file() and (paths.LEAFLET_DIR / "leaflet.css").is_file()
    assert paths.NETWORKS_DIR.parent == paths.DATA_DIR
    # The shared open data is looked for next to the repository, never inside it.
    assert paths.PROJECT_ROOT.parent / "shared" / "data" == paths.SHARED_DATA_DIR


def _git(root: Path, head: str) -> Path:
    git = root / ".git"
    git.mkdir(parents=True)
    (git / "HEAD").write_text(head)
    return git


def test_version_of_a_detached_checkout_is_the_commit_itself(tmp_path: Path) -> None:
    _git(tmp_path, COMMIT + "\n")
    assert detect_app_version(tmp_path) == "0123456789ab"


def test_version_of_a_linked_worktree_reads_the_main_repositorys_refs(tmp_path: Path) -> None:
    # main/.git holds the refs; the worktree's .git is a file pointing at main/.git/worktrees/wt,
    # whose "commondir" points back at main/.git.
    main_git = _git(tmp_path / "main", "ref: refs/heads/main\n")
    (main_git / "refs" / "heads").mkdir(parents=True)
    (main_git / "refs" / "heads" / "feature").write_text(COMMIT + "\n")
    wt_git = main_git / "worktrees" / "wt"
    wt_git.mkdir(parents=True)
    (wt_git / "HEAD").write_text("ref: refs/heads/feature\n")
    (wt_git / "commondir").write_text("../..\n")
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text(f"gitdir: {wt_git}\n")
    assert detect_app_version(worktree) == "0123456789ab"
    # Refs packed by git gc are found too.
    (main_git / "refs" / "heads" / "feature").unlink()
    (main_git / "packed-refs").write_text(f"# pack-refs with: peeled\n{COMMIT[::-1]} refs/heads/feature\n")
    assert detect_app_version(worktree) == COMMIT[::-1][:12]


def test_unreadable_version_is_none_not_an_error(tmp_path: Path) -> None:
    assert detect_app_version(tmp_path) is None  # no .git at all (e.g. an unpacked zip)
    _git(tmp_path / "empty_head", "")
    assert detect_app_version(tmp_path / "empty_head") is None
    _git(tmp_path / "unborn", "ref: refs/heads/main\n")  # a fresh repository without commits
    assert detect_app_version(tmp_path / "unborn") is None
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / ".git").write_text("not a gitdir line")  # a .git file without "gitdir:"
    assert detect_app_version(broken) is None


def test_version_of_this_checkout_is_the_commit_git_reports() -> None:
    version = detect_app_version()
    if not (paths.PROJECT_ROOT / ".git").exists() or shutil.which("git") is None:
        assert version is None or len(version) == 12
        return
    head = subprocess.run(["git", "-C", str(paths.PROJECT_ROOT), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert version == head[:12]
