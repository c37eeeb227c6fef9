#!/usr/bin/env bash
# Print the path of the newest package of a type/OS/arch, e.g. to install it:
#   examples/latest.sh MOUNTPOINT OCP_AGENT_INSTALL_PACKAGE alios7 x86_64
set -euo pipefail
mnt=${1:?usage: latest.sh MOUNTPOINT TYPE OS ARCH}; type=${2:?TYPE}; os=${3:?OS}; arch=${4:?ARCH}
base="$mnt/$type/$os/$arch"
[[ -d "$base" ]] || { echo "no packages under $type/$os/$arch" >&2; exit 1; }
version=$(readlink "$base/latest")
for dir in "$base/$version"/*/; do
  jq -r '.downloadUrl' "$dir/meta.json"
done
