#!/usr/bin/env bash
# Build an Astra bundle (SPEC §5) from real files, and upload it if a mount point is given.
#   examples/make-bundle.sh OUT.tar.gz PACKAGE VERSION [--patch] [--mount MNT] IMAGE.tar... [-- FILE...]
# Each IMAGE.tar becomes images/<name>.tar with its sha256 as imageDigest (tag = VERSION);
# each FILE after `--` is carried inline in files[] (base64), as in the Astra seed.
# VERSION is SemVer: MAJOR.MINOR.PATCH[-pre][+build], e.g. 22.9.1 or 1.0.0-rc.1 (no leading v).
# An upload pkgfs refuses prints its state and packageStateDetails, and the script fails.
set -euo pipefail
usage() { echo "usage: make-bundle.sh OUT.tar.gz PACKAGE VERSION [--patch] [--mount MNT] IMAGE.tar... [-- FILE...]" >&2; exit 2; }
(($# >= 3)) || usage
out=$1; name=$2; version=$3; shift 3
# As pkgfs reads packageVersion: leading zeros in the three numbers are tolerated (22.09.1).
pre='(0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)'; build='[0-9A-Za-z-]+'
if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-$pre(\.$pre)*)?(\+$build(\.$build)*)?$ ]]; then
  echo "make-bundle.sh: version '$version' is not SemVer MAJOR.MINOR.PATCH[-pre][+build] (e.g. 22.9.1, 1.0.0-rc.1)" >&2
  exit 2
fi
type=install; mnt=; images=(); files=()
while (($#)); do
  case $1 in
    --patch) type=patch ;;
    --mount) (($# >= 2)) || usage; mnt=$2; shift ;;
    --) shift; files=("$@"); break ;;
    *) images+=("$1") ;;
  esac
  shift
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/images"
image_json=()
for img in "${images[@]}"; do
  base=$(basename "$img" .tar)
  cp "$img" "$work/images/$base.tar"
  digest=$(sha256sum "$img" | cut -d' ' -f1)
  image_json+=("$(jq -n --arg n "$base" --arg t "$version" --arg d "sha256:$digest" \
    '{imagePath: "/images", imageName: $n, imageTag: $t, imageDigest: $d}')")
done
file_json=()
for f in "${files[@]}"; do
  file_json+=("$(jq -n --arg n "$(basename "$f")" --arg c "$(base64 -w0 "$f")" \
    '{fileName: $n, fileIdentifier: $n, fileMediaType: "application/octet-stream", fileContents: $c}')")
done
jq -n --arg name "$name" --arg version "$version" --arg type "$type" \
  --argjson images "[$(IFS=,; echo "${image_json[*]:-}")]" \
  --argjson files "[$(IFS=,; echo "${file_json[*]:-}")]" \
  '{packageName: $name, packageVersion: $version, packageType: $type, severityLevel: "recommended",
    bundleName: [$name + "-bundle"], images: $images, files: $files}' > "$work/package.json"
tar czf "$out" -C "$work" package.json images
echo "built $out ($(jq '.images | length' "$work/package.json") images, $(jq '.files | length' "$work/package.json") files)"
if [[ -n "$mnt" ]]; then
  file=$(basename "$out")
  if cp "$out" "$mnt/incoming/"; then
    echo "uploaded: $(readlink "$mnt/incoming/$file")"
  else
    # Bytes pkgfs kept (corrupt or incomplete) are found by their SHA-256: by-sha256/ links every state.
    dir="$mnt/by-sha256/$(sha256sum < "$out" | cut -c1-64)"
    state=$(cat "$dir/state" 2>/dev/null || true)
    if [[ -n "$state" && "$state" != available ]]; then
      echo "upload of $file failed: it is $state" >&2
      jq -r '.packageStateDetails[] | "  \(.title): \(.detail)"' "$dir/meta.json" >&2
    else
      echo "upload of $file failed (see cp's message above)" >&2
    fi
    exit 1
  fi
fi
