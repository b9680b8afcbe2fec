"""Make the repository importable as ansible_collections.distrant.distcc."""

from __future__ import annotations

import os
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_ROOT = tempfile.mkdtemp(prefix="distrant-unit-")
os.makedirs(os.path.join(_ROOT, "ansible_collections", "distrant"))
os.symlink(REPO, os.path.join(_ROOT, "ansible_collections", "distrant", "distcc"))
sys.path.insert(0, _ROOT)
