#!/usr/bin/env bash
# Upload packages to a pkgfs mount; fail loudly with pkgfs's reason when one is refused.
#   examples/upload.sh MOUNTPOINT FILE...
# A file whose name and bytes are already in the repository counts as uploaded; other bytes
# replace a corrupt or incomplete package of that name; an available one is kept and the file
# refused (delete that package first, or upload under another name).
set -uo pipefail
usage() { echo "usage: upload.sh MOUNTPOINT FILE..." >&2; exit 2; }
(($# >= 2)) || usage
mnt=$1; shift
root=$(readlink -f -- "$mnt")  # as readlink -f gives a receipt's target: paths print as TYPE/...
status=0
sha256_of() { getfattr --absolute-names --only-values -n user.pkgfs.sha256 "$1"; }
for f in "$@"; do
  name=$(basename "$f")
  receipt="$mnt/incoming/$name"
  # A name already registered is a receipt (a link to its package): cp cannot write over it.
  if [[ -L "$receipt" ]]; then
    dir=$(readlink -f "$receipt")
    have=$(sha256_of "$dir"); mine=$(sha256sum < "$f" | cut -c1-64)
    state=$(cat "$dir/state")
    if [[ "$have" == "$mine" && "$state" == available ]]; then
      echo "ok  $name -> ${dir#"$root"/} sha256=$have (already there)"
      continue
    elif [[ "$state" == available ]]; then
      status=1
      echo "ERR $name: the repository holds other bytes under this name (${dir#"$root"/}, sha256=$have); delete that package first" >&2
      continue
    fi
    rm "$receipt"  # the upload below replaces the $state package
  fi
  if cp "$f" "$mnt/incoming/"; then
    dir=$(readlink -f "$receipt")
    echo "ok  $name -> ${dir#"$root"/} sha256=$(sha256_of "$dir")"
  else
    status=1
    dir=$(readlink -f "$receipt" 2>/dev/null || true)
    if [[ -n "$dir" && -f "$dir/meta.json" ]]; then
      echo "ERR $name is $(cat "$dir/state"): $(jq -r '.packageStateDetails[] | "\(.title): \(.detail)"' "$dir/meta.json")" >&2
    else
      echo "ERR $name was refused (see the message above)" >&2
    fi
  fi
done
exit $status
