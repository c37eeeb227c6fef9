#!/usr/bin/env bash
# Build an Astra bundle (SPEC §5) from real files, and upload it if a mount point is given.
#   examples/make-bundle.sh OUT.tar.gz PACKAGE VERSION [--patch] [--mount MNT] IMAGE.tar... [-- FILE...]
# Each IMAGE.tar becomes images/<name>.tar with its sha256 as imageDigest (tag = VERSION);
# each FILE after `--` is carried inline in files[] (base64), as in the Astra seed.
set -euo pipefail
out=${1:?usage: make-bundle.sh OUT.tar.gz PACKAGE VERSION [--patch] [--mount MNT] IMAGE.tar... [-- FILE...]}
name=${2:?PACKAGE}; version=${3:?VERSION}; shift 3
type=install; mnt=; images=(); files=()
while (($#)); do
  case $1 in
    --patch) type=patch ;;
    --mount) mnt=$2; shift ;;
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
  cp "$out" "$mnt/incoming/" && echo "uploaded: $(readlink "$mnt/incoming/$(basename "$out")")"
fi
