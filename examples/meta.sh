#!/usr/bin/env bash
# Show the facts a build host checks before installing: name, version, state, digests.
#   examples/meta.sh MOUNTPOINT SHA256|SHA1|ID|UUID
# 64 hex digits look in by-sha256/, 40 in by-sha1/, anything else (a number, a UUID) in by-id/.
set -euo pipefail
usage() { echo "usage: meta.sh MOUNTPOINT SHA256|SHA1|ID|UUID" >&2; exit 2; }
(($# == 2)) || usage
mnt=$1; key=$2
if [[ $key =~ ^[0-9a-fA-F]{64}$ ]]; then dir="$mnt/by-sha256/${key,,}"
elif [[ $key =~ ^[0-9a-fA-F]{40}$ ]]; then dir="$mnt/by-sha1/${key,,}"
else dir="$mnt/by-id/$key"; fi
[[ -f "$dir/meta.json" ]] || { echo "no package ${dir#"$mnt"/}" >&2; exit 1; }
jq '{id, fileName, type, version, buildNumber, operatingSystem, architecture, packageState, sha1, sha256, size,
     uploaded: .metadata.creationTimestamp, by: .metadata.createdBy, problems: .packageStateDetails}' "$dir/meta.json"
