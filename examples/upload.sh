#!/usr/bin/env bash
# Upload packages to a pkgfs mount; fail loudly with pkgfs's reason when one is refused.
#   examples/upload.sh MOUNTPOINT FILE...
set -uo pipefail
mnt=${1:?usage: upload.sh MOUNTPOINT FILE...}; shift
status=0
for f in "$@"; do
  name=$(basename "$f")
  if cp "$f" "$mnt/incoming/"; then
    dir=$(readlink -f "$mnt/incoming/$name")
    echo "ok  $name -> ${dir#"$mnt"/} sha256=$(getfattr --only-values -n user.pkgfs.sha256 "$dir")"
  else
    status=1
    dir=$(readlink -f "$mnt/incoming/$name" 2>/dev/null || true)
    if [[ -n "$dir" && -f "$dir/meta.json" ]]; then
      echo "ERR $name is $(cat "$dir/state"): $(jq -r '.packageStateDetails[] | "\(.title): \(.detail)"' "$dir/meta.json")" >&2
    else
      echo "ERR $name was refused (see the message above)" >&2
    fi
  fi
done
exit $status
