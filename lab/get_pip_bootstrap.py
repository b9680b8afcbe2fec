"""Stand-in for pip's get-pip.py, used by ansible-test to seed its sanity venvs.

ansible-test downloads get-pip.py from a host that this lab cannot reach; this script
does the same job from the standard library's ensurepip and PyPI: it installs pip into
the running interpreter, then the packages ansible-test asked for (e.g. pip==24.2).
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

# ensurepip disables pip's configuration (PIP_CONFIG_FILE=/dev/null) in os.environ;
# the install after it must see the machine's pip configuration (index, CA bundle).
ENV = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
if any(not arg.startswith("-") for arg in args):
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *args], env=ENV)
