"""Where the product keeps its files: the one place that computes repository paths.

Everything else imports these names instead of walking up from ``__file__``.
"""

from __future__ import annotations

from pathlib import Path

#: The repository root (the folder holding ``app.py``).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Embedded datasets, one folder each (``dataset.gpkg`` + ``dataset.json``).
DATA_DIR = PROJECT_ROOT / "data"
#: The embedded default dataset (Utrecht).
DEFAULT_DATA_DIR = DATA_DIR / "utrecht"
#: Downloaded or built street networks: ``<name>_<mode>.npz``; downloads are cached in ``cache/``.
NETWORKS_DIR = DATA_DIR / "networks"
#: Vendored Leaflet, served by Streamlit and inlined into standalone maps.
LEAFLET_DIR = PROJECT_ROOT / "static" / "leaflet"
#: The shared open data next to the repository (developers and CI only; never needed by the app).
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def detect_app_version(root: Path = PROJECT_ROOT) -> str | None:
    """The git commit of the app (12 hex digits), read from ``.git`` without running git; ``None`` if unknown."""
    git = root / ".git"
    try:
        if git.is_file():  # a linked worktree: ".git" says "gitdir: <path>"
            git = (root / git.read_text(encoding="utf-8").split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head[:12] or None  # detached HEAD: the commit itself
        ref = head.split(":", 1)[1].strip()
        common = git
        if (git / "commondir").is_file():  # refs of a worktree live in the main repository
            common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for base in dict.fromkeys((git, common)):
            if (base / ref).is_file():
                return (base / ref).read_text(encoding="utf-8").strip()[:12] or None
            if (base / "packed-refs").is_file():
                for line in (base / "packed-refs").read_text(encoding="utf-8").splitlines():
                    if line.endswith(f" {ref}"):
                        return line.split(" ", 1)[0][:12]
    except (OSError, IndexError):
        return None
    return None
