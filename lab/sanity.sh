#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection laid out as
# ansible_collections/distrant/distcc (ansible-test needs that layout).
# The sanity tests' own pinned requirements come from PyPI into a venv of their own
# (ansible-test's --venv needs a bootstrap download from a host we cannot reach).
source "$(dirname "$0")/lib.sh"

ensure_pkgs shellcheck:shellcheck
core="$(sed -n 's/^ansible-core==//p' "${LAB_ROOT}/requirements.txt")"
sanity_venv="${DISTRANT_LAB_HOME}/sanity-venv-${core}"
if [ ! -f "${sanity_venv}/.complete" ]; then
    log "creating the sanity venv (ansible-core ${core})"
    rm -rf "${sanity_venv}"
    python3 -m venv "${sanity_venv}"
    "${sanity_venv}/bin/pip" install -q --disable-pip-version-check "ansible-core==${core}" \
        >"${DISTRANT_LAB_HOME}/pip-sanity.log" 2>&1 || die "pip install ansible-core==${core} failed" \
        "$(tail -n 5 "${DISTRANT_LAB_HOME}/pip-sanity.log")"
    touch "${sanity_venv}/.complete"
fi
export PATH="${sanity_venv}/bin:${PATH}" VIRTUAL_ENV="${sanity_venv}"
# Seed ansible-test's pip bootstrap cache with our stand-in for get-pip.py.
pip_version="$(python - <<'PY'
import re, ansible_test, pathlib
src = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", src.read_text()).group(1))
PY
)"
mkdir -p "${HOME}/.ansible/test/cache"
cp "${LAB_ROOT}/get_pip_bootstrap.py" "${HOME}/.ansible/test/cache/get_pip_${pip_version//./_}.py"

work="${DISTRANT_LAB_HOME}/sanity"
tree="${work}/ansible_collections/distrant/distcc"
rm -rf "${tree}"
mkdir -p "${tree}"
# Only what git tracks or would track (no caches, no molecule state).
cd "${REPO_ROOT}" || exit 1
while IFS= read -r -d '' file; do
    [ -e "${file}" ] && cp --parents "${file}" "${tree}/"
done < <(git ls-files -z --cached --others --exclude-standard)
cd "${tree}" || exit 1
git init -q . && git add -A >/dev/null && git -c user.email=ci@localhost -c user.name=ci commit -qm sanity
python_version="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
log "ansible-test sanity (Python ${python_version})"
exec ansible-test sanity --requirements --python "${python_version}" --color "$@"
