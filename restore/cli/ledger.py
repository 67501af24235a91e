"""The resumable record of a batch: which files are done and which failed (JSON lines, appended as they finish)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

__all__ = ["Ledger"]


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


class Ledger:
    """Append-only log of finished files. A file counts as done on a rerun only if its output still exists and
    the input is unchanged (same size and modification time); failed files are tried again.

    Each line is written and flushed to disk when its file finishes, so a killed run loses nothing it finished;
    a torn last line (the run died mid-write) is ignored.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._done: dict[str, tuple[str, list[int]]] = {}
        if self.path.exists():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if not isinstance(rec, dict) or "src" not in rec:
                    continue
                if rec.get("status") == "done":
                    self._done[rec["src"]] = (rec.get("dst", ""), rec.get("stamp", []))
                else:
                    self._done.pop(rec["src"], None)

    @staticmethod
    def _key(src: Path) -> str:
        return str(Path(src).resolve())

    def is_done(self, src: Path, dst: Path) -> bool:
        rec = self._done.get(self._key(src))
        if rec is None or rec[0] != str(Path(dst).resolve()) or not Path(dst).exists():
            return False
        try:
            return rec[1] == _stamp(Path(src))
        except OSError:
            return False

    def record(self, src: Path, dst: Path, error: Optional[str] = None) -> None:
        rec = {"src": self._key(src), "dst": str(Path(dst).resolve()), "status": "failed" if error else "done"}
        if error:
            rec["error"] = error
        else:
            try:
                rec["stamp"] = _stamp(Path(src))
            except OSError:
                rec["stamp"] = []
            self._done[rec["src"]] = (rec["dst"], rec["stamp"])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
