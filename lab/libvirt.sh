#!/usr/bin/env bash
# The libvirt provider's host side, for `DISTRANT_PROVIDER=libvirt make lab`:
#   lab/libvirt.sh host    install libvirt, qemu and vagrant-libvirt from Debian when missing, and start
#                          virtlogd and libvirtd where no service manager does (as the lab starts dockerd)
#   lab/libvirt.sh plugin  install Debian's vagrant-libvirt when Vagrant does not list it (no daemons; make
#                          integration uses it to test the lab where the plugin is present but libvirtd is not)
#   lab/libvirt.sh accel   print the accelerator guests get: kvm where a guest really boots under KVM,
#                          else qemu (TCG, an emulator); one line on stderr says which and why.
#                          DISTRANT_LIBVIRT_DRIVER=kvm|qemu forces it. The answer is kept for this qemu and
#                          kernel in DISTRANT_LAB_HOME/libvirt-accel: delete that file to check again.
#   lab/libvirt.sh clean NETWORK   remove what an interrupted `vagrant up` left of the lab on NETWORK
#                          (e.g. 10.200.1) and vagrant no longer knows: its domains (distrant-10-200-1-*),
#                          their disks, its private network; `make lab-down` runs it after vagrant destroy
#   lab/libvirt.sh box     print the name of the lab's box, built from lab/images/libvirt/ when missing or
#                          when its recipe changed (cached in DISTRANT_LAB_HOME, added to Vagrant)
# /dev/kvm alone proves nothing: under nested virtualization KVM may open, run a BIOS and a boot
# sector, and still fail in a real guest ("KVM internal error ... emulation failure" in the
# bootloader, a kernel that never prints). So the check boots a Debian kernel (qemu -kernel, no
# disk) and waits for its banner on the serial port.
source "$(dirname "$0")/lib.sh"

BOX_DIR="${LAB_ROOT}/images/libvirt"
LIBVIRT_URI="qemu:///system"
BOOT_WAIT="${DISTRANT_LIBVIRT_BOOT_WAIT:-20}"

# libvirt's daemons and tools live in /usr/sbin, which a user's PATH may lack
export PATH="${PATH}:/usr/sbin:/sbin"

virsh_() { as_root virsh -c "${LIBVIRT_URI}" "$@"; }  # qemu:///system needs root (or the libvirt group)
libvirt_answers() { virsh_ version >/dev/null 2>&1; }

start_daemon() {  # start_daemon NAME: in the background, unless it runs
    pgrep -x "$1" >/dev/null 2>&1 && return 0
    command -v "$1" >/dev/null 2>&1 || die "$1 not found although libvirt-daemon-system is installed"
    log "starting $1 in the background (log: ${DISTRANT_LAB_HOME}/$1.log)"
    # a session of its own: a Ctrl-C on make must not reach it
    as_root setsid -f "$1" >"${DISTRANT_LAB_HOME}/$1.log" 2>&1 </dev/null
}

host() {
    mkdir -p "${DISTRANT_LAB_HOME}"
    ensure_pkgs vagrant:vagrant libvirtd:libvirt-daemon-system virsh:libvirt-clients \
        qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils dnsmasq:dnsmasq-base \
        extlinux:extlinux debootstrap:debootstrap mkfs.ext4:e2fsprogs
    plugin
    libvirt_answers && { log "libvirt: $(virsh_ version 2>/dev/null | sed -n 's/^Running hypervisor: //p') answering"; return 0; }
    start_libvirt
}

plugin() {
    ensure_pkgs vagrant:vagrant
    vagrant plugin list 2>/dev/null | grep -q '^vagrant-libvirt ' && return 0
    ensure_pkgs __vagrant_libvirt_plugin__:vagrant-libvirt
    vagrant plugin list 2>/dev/null | grep -q '^vagrant-libvirt ' ||
        die "Debian's vagrant-libvirt is installed but vagrant does not list the plugin" \
            "Check 'vagrant plugin list'; a VAGRANT_HOME of your own may hide system plugins."
}

# start_libvirt: virtlogd and libvirtd in the background (no systemd here), until libvirtd answers
start_libvirt() {
    start_daemon virtlogd
    start_daemon libvirtd
    for _ in $(seq 1 30); do
        libvirt_answers && { log "libvirt answering on ${LIBVIRT_URI}"; return 0; }
        sleep 1
    done
    local tail_lines=()
    mapfile -t tail_lines < <(tail -n 10 "${DISTRANT_LAB_HOME}/libvirtd.log" 2>/dev/null)
    die "libvirtd did not answer on ${LIBVIRT_URI} within 30 s" "${tail_lines[@]:-(no log)}"
}

# kernel_for_check: a Debian kernel to boot in the check: the lab box's, else the mirror's (kept)
kernel_for_check() {
    local dir="${DISTRANT_LAB_HOME}/kvm-check" kernel pkg
    kernel="$(find "${DISTRANT_LAB_HOME}/boxes" "${dir}/boot" -maxdepth 1 \( -name '*.vmlinuz' -o -name 'vmlinuz-*' \) \
        -printf '%T@ %p\n' 2>/dev/null | sort -rn | head -n1 | cut -d' ' -f2- || true)"
    if [ -z "${kernel}" ]; then
        mkdir -p "${dir}"
        pkg="$(apt-cache show linux-image-amd64 2>/dev/null | sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -n1)"
        [ -n "${pkg}" ] && (cd "${dir}" && apt-get download -q "${pkg}" >/dev/null 2>&1) &&
            dpkg-deb --fsys-tarfile "${dir}/${pkg}"_*.deb | tar -C "${dir}" -x --wildcards './boot/vmlinuz-*' &&
            rm -f "${dir}"/*.deb
        kernel="$(find "${dir}/boot" -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | head -n1 || true)"
        [ -n "${kernel}" ] || die "no kernel to check the accelerator with (apt-get download ${pkg:-linux-image-amd64} failed)" \
            "Run apt-get update, or set DISTRANT_LIBVIRT_DRIVER=kvm or qemu."
    fi
    echo "${kernel}"
}

# guest_boots ACCEL: 0 when a Linux guest prints its banner under ACCEL (kvm, tcg) within BOOT_WAIT
# seconds (a direct kernel boot: no disk needed). qemu's stderr is left in ${work}/ACCEL.err.
guest_boots() {
    timeout "${BOOT_WAIT}" qemu-system-x86_64 -accel "$1" -m 256 -display none -no-reboot \
        -kernel "${kernel}" -append "console=ttyS0 earlyprintk=serial panic=-1" \
        -serial "file:${work}/$1.out" >/dev/null 2>"${work}/$1.err" || true
    grep -q "Linux version" "${work}/$1.out" 2>/dev/null
}

accel() {
    case "${DISTRANT_LIBVIRT_DRIVER:-}" in
        kvm|qemu) log "libvirt accelerator: ${DISTRANT_LIBVIRT_DRIVER} (DISTRANT_LIBVIRT_DRIVER)"
                  echo "${DISTRANT_LIBVIRT_DRIVER}"; return 0 ;;
        "") ;;
        *) die "DISTRANT_LIBVIRT_DRIVER must be kvm or qemu (TCG), got '${DISTRANT_LIBVIRT_DRIVER}'" ;;
    esac
    command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 is missing: run '$0 host' first"
    # the answer holds for this qemu on this kernel: kept, as the boot check takes up to BOOT_WAIT s
    local key cached
    key="$(qemu-system-x86_64 --version | head -n1); $(uname -r); kvm $([ -w /dev/kvm ] && echo rw || echo none); linux"
    cached="${DISTRANT_LAB_HOME}/libvirt-accel"
    if [ "$(sed -n 1p "${cached}" 2>/dev/null)" = "${key}" ]; then
        log "libvirt accelerator: $(sed -n 3p "${cached}") (checked before for this qemu and kernel)"
        sed -n 2p "${cached}"; return 0
    fi
    local choice
    choice="$(check_accel)" || exit 1
    mkdir -p "${DISTRANT_LAB_HOME}"
    printf '%s\n%s\n%s\n' "${key}" "${choice%% *}" "${choice}" > "${cached}"
    log "libvirt accelerator: ${choice}"
    echo "${choice%% *}"
}

# check_accel: boots the guest under KVM, then TCG; prints "kvm (why)" or "qemu (why)"
check_accel() {
    work="$(mktemp -d)"
    # it runs in a command substitution: EXIT fires on return, exit and die alike
    trap 'rm -rf "${work}"' EXIT
    kernel="$(kernel_for_check)" || exit 1
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && guest_boots kvm; then
        echo "kvm (a guest boots under KVM here)"; return 0
    fi
    local why
    if [ ! -e /dev/kvm ]; then why="no /dev/kvm"
    elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then why="/dev/kvm is not usable by $(id -un)"
    else why="a Linux guest does not boot under KVM here (no banner in ${BOOT_WAIT} s$(grep -m1 -i 'error' "${work}/kvm.err" 2>/dev/null | sed 's/^/; qemu: /'))"
    fi
    guest_boots tcg || die "a guest boots neither under KVM nor under TCG (${why}; TCG: $(head -n1 "${work}/tcg.err"))" \
        "Check qemu-system-x86_64 by hand; DISTRANT_PROVIDER=docker runs the lab in containers."
    echo "qemu (TCG, an emulator: slow) because ${why}"
}

box() {
    local suite="${DISTRANT_DEBIAN:-bookworm}" hash name cache boxfile
    # the recipe: its files and the code that builds it (not the rest of this script)
    hash="$(recipe_hash "${suite}$(declare -f build_box)" "${BOX_DIR}/box.conf" "${BOX_DIR}/Vagrantfile")"
    name="distrant-lab/${suite}"
    cache="${DISTRANT_LAB_HOME}/boxes"
    boxfile="${cache}/libvirt-${suite}-${hash}.box"
    mkdir -p "${cache}"
    # one build at a time: a second lab or test waits for the first one's box
    exec 9>"${cache}/.lock"
    if ! flock -n 9; then
        log "another box build is running: waiting for it (up to 15 min)"
        flock -w 900 9 || die "the box build of another process did not end within 15 min (${cache}/.lock)"
    fi
    if [ -s "${boxfile}" ] && [ "$(cat "${cache}/${suite}.added" 2>/dev/null)" = "${hash}" ] &&
        vagrant box list 2>/dev/null | grep -q "^${name} *(libvirt"; then
        log "box ${name} (libvirt) up to date (${hash})"
        echo "${name}"; return 0
    fi
    [ -s "${boxfile}" ] || build_box "${suite}" "${boxfile}"
    log "adding ${boxfile} to vagrant as ${name}"
    vagrant box add --force --name "${name}" "${boxfile}" >&2 || die "vagrant box add failed"
    # the disks of machines made from the old box are libvirt volumes of that box: drop its image
    { virsh_ vol-list default 2>/dev/null || true; } | awk -v n="${name//\//-VAGRANTSLASH-}" \
        '$1 ~ "^"n"_vagrant_box_image" {print $1}' | while read -r vol; do
        virsh_ vol-delete --pool default "${vol}" >/dev/null 2>&1 || true
    done
    echo "${hash}" > "${cache}/${suite}.added"
    find "${cache}" -name "libvirt-${suite}-*" ! -name "$(basename "${boxfile%.box}").*" -delete
    echo "${name}"
}

build_box() {
    local suite="$1" boxfile="$2" INCLUDE DISK_GB work root kernel initrd key tail_lines
    # shellcheck source=/dev/null
    INCLUDE="$(sed -n 's/^INCLUDE=//p' "${BOX_DIR}/box.conf")"
    DISK_GB="$(sed -n 's/^DISK_GB=//p' "${BOX_DIR}/box.conf")"
    key="$("${LAB_ROOT}/vagrant-key.sh" public)"
    DISTRANT_DEBIAN_SUITE="${suite}" check_mirror
    work="$(mktemp -d "${DISTRANT_LAB_HOME}/box.XXXXXX")"
    root="${work}/root"
    # shellcheck disable=SC2064
    trap "as_root umount -R '${root}' 2>/dev/null; as_root rm -rf '${work}'" EXIT
    log "building the libvirt box for ${suite}: debootstrap into a ${DISK_GB} GB sparse ext4 disk (about 3 min)"
    truncate -s "${DISK_GB}G" "${work}/disk.raw"
    as_root mkfs.ext4 -q -F -L root "${work}/disk.raw"
    mkdir -p "${root}"
    as_root mount -o loop "${work}/disk.raw" "${root}"
    if ! as_root debootstrap --variant=minbase --include="${INCLUDE}" "${suite}" "${root}" \
            "${DISTRANT_DEBIAN_MIRROR}" >"${DISTRANT_LAB_HOME}/debootstrap-box.log" 2>&1; then
        mapfile -t tail_lines < <(tail -n 10 "${DISTRANT_LAB_HOME}/debootstrap-box.log")
        die "debootstrap of the box failed" "${tail_lines[@]}"
    fi
    kernel="$(find "${root}/boot" -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' | sort -V | tail -n1)"
    initrd="initrd.img-${kernel#vmlinuz-}"
    [ -f "${root}/boot/${initrd}" ] || die "the box's kernel ${kernel} has no ${initrd}"
    as_root install -d "${root}/boot/extlinux"
    as_root extlinux --install "${root}/boot/extlinux" >/dev/null 2>&1 || die "extlinux --install failed"
    as_root tee "${root}/boot/extlinux/extlinux.conf" >/dev/null <<EOF
DEFAULT debian
TIMEOUT 1
LABEL debian
  KERNEL /boot/${kernel}
  APPEND initrd=/boot/${initrd} root=LABEL=root ro net.ifnames=0 console=ttyS0
EOF
    as_root tee "${root}/etc/fstab" >/dev/null <<'EOF'
LABEL=root / ext4 errors=remount-ro 0 1
EOF
    as_root tee "${root}/etc/network/interfaces" >/dev/null <<'EOF'
auto lo
iface lo inet loopback

allow-hotplug eth0
iface eth0 inet dhcp
EOF
    echo "${suite}" | as_root tee "${root}/etc/hostname" >/dev/null
    as_root tee "${root}/etc/apt/apt.conf.d/90distrant-lab" >/dev/null <<'APT'
APT::Install-Recommends "false";
APT::Keep-Downloaded-Packages "false";
APT
    as_root chroot "${root}" useradd -m -s /bin/bash vagrant
    as_root install -d -m 0700 -o 1000 -g 1000 "${root}/home/vagrant/.ssh"
    as_root install -m 0600 -o 1000 -g 1000 "${key}" "${root}/home/vagrant/.ssh/authorized_keys"
    echo 'vagrant ALL=(ALL) NOPASSWD: ALL' | as_root tee "${root}/etc/sudoers.d/vagrant" >/dev/null
    as_root chmod 0440 "${root}/etc/sudoers.d/vagrant"
    # sshd answers without waiting for DNS of the management network
    echo 'UseDNS no' | as_root tee "${root}/etc/ssh/sshd_config.d/distrant-lab.conf" >/dev/null
    as_root rm -f "${root}"/etc/ssh/ssh_host_*key* "${root}/etc/machine-id"
    as_root touch "${root}/etc/machine-id"
    # host keys made at the guest's first boot, each box a machine of its own
    as_root chroot "${root}" systemctl enable ssh >/dev/null 2>&1 || true
    as_root install -d "${root}/etc/systemd/system/ssh.service.d"
    as_root tee "${root}/etc/systemd/system/ssh.service.d/distrant-host-keys.conf" >/dev/null <<'EOF'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
EOF
    as_root rm -rf "${root}/var/cache/apt/archives/"*.deb "${root}/var/lib/apt/lists/"*
    cp "${root}/boot/${kernel}" "${boxfile%.box}.vmlinuz"
    as_root umount "${root}"
    log "converting the disk to qcow2"
    qemu-img convert -O qcow2 "${work}/disk.raw" "${work}/box.img"
    rm -f "${work}/disk.raw"
    printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s}\n' "${DISK_GB}" > "${work}/metadata.json"
    cp "${BOX_DIR}/Vagrantfile" "${work}/Vagrantfile"
    tar -C "${work}" -czf "${boxfile}.partial" metadata.json Vagrantfile box.img
    mv "${boxfile}.partial" "${boxfile}"
    as_root rm -rf "${work}"; trap - EXIT
    log "built ${boxfile} ($(du -h "${boxfile}" | cut -f1))"
}

clean() {
    local network="$1" prefix name v="virsh_"
    [[ "${network}" =~ ^[0-9]+[.][0-9]+[.][0-9]+$ ]] || die "usage: $0 clean NETWORK (e.g. 10.200.1)"
    prefix="distrant-${network//./-}-"
    if ! libvirt_answers; then
        # libvirt is not running: start it only when it keeps something of a lab on NETWORK
        # (a domain's definition, a network's, a bridge left with the network's address), so
        # that taking a docker lab down never brings libvirt and its networks up
        command -v libvirtd >/dev/null 2>&1 || return 0
        if ! compgen -G "/etc/libvirt/qemu/${prefix}*.xml" >/dev/null &&
            ! grep -qs "address='${network//./[.]}[.]" /etc/libvirt/qemu/networks/*.xml /run/libvirt/network/*.xml &&
            ! ip -o -4 addr show 2>/dev/null | grep -qF " ${network}.1/"; then
            return 0
        fi
        mkdir -p "${DISTRANT_LAB_HOME}"
        start_libvirt
    fi
    for name in $(${v} list --all --name | grep -F "${prefix}" || true); do
        log "removing the domain ${name} (left by an interrupted vagrant up)"
        ${v} destroy "${name}" >/dev/null 2>&1 || true
        ${v} undefine "${name}" --remove-all-storage >/dev/null 2>&1 ||
            ${v} undefine "${name}" >/dev/null || die "could not remove the domain ${name}"
    done
    for name in $(${v} vol-list default 2>/dev/null | awk '{print $1}' | grep -F "${prefix}" || true); do
        log "removing the disk ${name}"
        ${v} vol-delete --pool default "${name}" >/dev/null || die "could not remove the disk ${name}"
    done
    for name in $(${v} net-list --all --name); do
        if ${v} net-dumpxml "${name}" | grep "address='${network//./[.]}[.]" >/dev/null; then
            log "removing the network ${name} (${network}.0/24)"
            ${v} net-destroy "${name}" >/dev/null 2>&1 || true
            ${v} net-undefine "${name}" >/dev/null || die "could not remove the network ${name}"
        fi
    done
}

case "${1:-}" in
    host) host ;;
    plugin) plugin ;;
    clean) clean "${2:-}" ;;
    accel) accel ;;
    box) box ;;
    *) die "usage: $0 host|plugin|accel|box|clean NETWORK" ;;
esac
