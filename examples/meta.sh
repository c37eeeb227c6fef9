#!/usr/bin/env bash
# Show the facts a build host checks before installing: name, version, state, digests.
#   examples/meta.sh MOUNTPOINT SHA256-or-ID
set -euo pipefail
mnt=${1:?usage: meta.sh MOUNTPOINT SHA256-or-ID}; key=${2:?SHA256 or id}
if [[ ${#key} -eq 64 ]]; then dir="$mnt/by-sha256/$key"; else dir="$mnt/by-id/$key"; fi
jq '{id, fileName, type, version, buildNumber, operatingSystem, architecture, packageState, sha1, sha256, size,
     uploaded: .metadata.creationTimestamp, by: .metadata.createdBy, problems: .packageStateDetails}' "$dir/meta.json"
