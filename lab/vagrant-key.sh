#!/usr/bin/env bash
# Print the path of Vagrant's insecure key pair (public|private), installing Debian's
# vagrant package when it is missing. Vagrant replaces this key on first `vagrant up`.
source "$(dirname "$0")/lib.sh"
ensure_pkgs vagrant:vagrant
which="${1:-public}"
gem_dir="$(find /usr/share/rubygems-integration/all/gems -maxdepth 2 -path '*/vagrant-*/keys' 2>/dev/null | sort -V | tail -n1)"
[ -n "${gem_dir}" ] || die "cannot find Vagrant's keys directory" \
    "Expected /usr/share/rubygems-integration/all/gems/vagrant-<version>/keys (Debian's vagrant)."
case "${which}" in
    public) echo "${gem_dir}/vagrant.pub" ;;
    private) echo "${gem_dir}/vagrant" ;;
    *) die "usage: $0 public|private" ;;
esac
