#!/usr/bin/env bash
# Build the lab's images locally (no registry is reachable or needed):
#   distrant-lab/base     Debian from debootstrap (minbase + python3, sshd, sudo)
#   distrant-lab/systemd  + systemd as PID 1: molecule test hosts
#   distrant-lab/vagrant  + `vagrant` user and insecure key: Vagrant's docker provider
# Each is tagged with a hash of its recipe and rebuilt only when the recipe changes;
# the tag named after the suite (`bookworm`, `trixie`) points at the current build.
# DISTRANT_IMAGE_SUITES="bookworm trixie" builds one set per Debian suite (default: bookworm).
source "$(dirname "$0")/lib.sh"

IMAGES_DIR="${LAB_ROOT}/images"
WANT="${*:-base systemd vagrant}"
DISTRANT_IMAGE_SUITES="${DISTRANT_IMAGE_SUITES:-bookworm}"

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

"${LAB_ROOT}/docker-engine.sh"

# build_base SUITE -> distrant-lab/base:<hash> (tagged :SUITE), printed as base_tag
build_base() {
    local DISTRANT_DEBIAN_SUITE="$1" base_hash base_tag INCLUDE rootfs tail_lines
    base_hash="$(recipe_hash "${DISTRANT_DEBIAN_SUITE}" "${IMAGES_DIR}/base.conf" "$0")"
    base_tag="distrant-lab/base:${base_hash}"
    if image_exists "${base_tag}"; then
        log "image ${base_tag} up to date"
    else
        ensure_pkgs debootstrap:debootstrap
        check_mirror
        # shellcheck source=/dev/null
        INCLUDE="$(sed -n 's/^INCLUDE=//p' "${IMAGES_DIR}/base.conf")"
        rootfs="$(mktemp -d "${DISTRANT_LAB_HOME}/rootfs.XXXXXX")"
        trap 'as_root rm -rf "${rootfs}"' EXIT
        log "debootstrap ${DISTRANT_DEBIAN_SUITE} (minbase + ${INCLUDE}) from ${DISTRANT_DEBIAN_MIRROR}"
        if ! as_root debootstrap --variant=minbase --include="${INCLUDE}" \
                "${DISTRANT_DEBIAN_SUITE}" "${rootfs}" "${DISTRANT_DEBIAN_MIRROR}" \
                >"${DISTRANT_LAB_HOME}/debootstrap.log" 2>&1; then
            mapfile -t tail_lines < <(tail -n 10 "${DISTRANT_LAB_HOME}/debootstrap.log")
            die "debootstrap failed" "${tail_lines[@]}"
        fi
        # Keep containers small: no .deb kept after installs, no recommends.
        as_root sh -c "cat > '${rootfs}/etc/apt/apt.conf.d/90distrant-lab'" <<'APT'
APT::Install-Recommends "false";
APT::Keep-Downloaded-Packages "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT
        as_root rm -rf "${rootfs}/var/cache/apt/archives/"*.deb "${rootfs}/var/lib/apt/lists/"*
        as_root tar -C "${rootfs}" -c . | docker import \
            --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'ENV LANG=C.UTF-8' \
            --change 'CMD ["/bin/bash"]' - "${base_tag}" >/dev/null
        as_root rm -rf "${rootfs}"; trap - EXIT
        log "built ${base_tag}"
    fi
    docker tag "${base_tag}" "distrant-lab/base:${DISTRANT_DEBIAN_SUITE}"
    echo "${base_tag}"
}

# flavour NAME PARENT_TAG SUITE -> builds distrant-lab/NAME:<hash> FROM the parent, tagged :SUITE
build_flavour() {
    local name="$1" parent="$2" suite="$3" ctx="${IMAGES_DIR}/$1" hash tag
    hash="$(recipe_hash "${parent}" "${ctx}/Dockerfile")"
    tag="distrant-lab/${name}:${hash}"
    if image_exists "${tag}"; then
        log "image ${tag} up to date"
    else
        log "building ${tag}"
        docker build -q --build-arg "BASE=${parent}" -t "${tag}" "${ctx}" \
            >"${DISTRANT_LAB_HOME}/build-${name}.log" 2>&1 || {
            mapfile -t tail_lines < <(tail -n 15 "${DISTRANT_LAB_HOME}/build-${name}.log")
            die "docker build of ${name} failed" "${tail_lines[@]}"
        }
    fi
    docker tag "${tag}" "distrant-lab/${name}:${suite}"
    echo "${tag}"
}

for suite in ${DISTRANT_IMAGE_SUITES}; do
    base_tag="$(build_base "${suite}")"
    systemd_tag=""
    case " ${WANT} " in *" systemd "*|*" vagrant "*)
        systemd_tag="$(build_flavour systemd "${base_tag}" "${suite}")" ;;
    esac
    case " ${WANT} " in *" vagrant "*)
        key="$("${LAB_ROOT}/vagrant-key.sh" public)"
        cp "${key}" "${IMAGES_DIR}/vagrant/vagrant.pub"
        build_flavour vagrant "${systemd_tag}" "${suite}" >/dev/null
        rm -f "${IMAGES_DIR}/vagrant/vagrant.pub" ;;
    esac
done
