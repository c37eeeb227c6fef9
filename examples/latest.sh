#!/usr/bin/env bash
# Print the path of the newest available package of a type/OS/arch, e.g. to install it:
#   examples/latest.sh MOUNTPOINT OCP_AGENT_INSTALL_PACKAGE alios7 x86_64
# Only packages whose state is `available` are printed (a corrupt upload of the same version is
# skipped); none at all is an error.
set -euo pipefail
usage() { echo "usage: latest.sh MOUNTPOINT TYPE OS ARCH" >&2; exit 2; }
(($# == 4)) || usage
mnt=$1; type=$2; os=$3; arch=$4
base="$mnt/$type/$os/$arch"
[[ -d "$base" ]] || { echo "no packages under $type/$os/$arch" >&2; exit 1; }
# latest -> the highest version with an available package, else the highest version.
version=$(readlink "$base/latest")
found=0
for dir in "$base/$version"/*/; do
  [[ "$(cat "$dir/state" 2>/dev/null)" == available ]] || continue
  jq -r '.downloadUrl' "$dir/meta.json"
  found=1
done
((found)) || { echo "no available package under $type/$os/$arch" >&2; exit 1; }
