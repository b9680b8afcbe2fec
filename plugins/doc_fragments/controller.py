# Copyright: distrant.distcc contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """An action plugin that runs on the controller only."""

    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    description: An action plugin; it runs on the controller, nothing is started on the host.
"""
