#!/usr/bin/env bash
# Makes the style images of the built-in neural styles that come from Debian packages (models/ID/style.jpg), as
# models/README.md ("Style images") lists them: downloads each package (apt-get download: nothing is installed),
# unpacks it into a temporary folder, and crops and scales the picture with ffmpeg to 512x512. The other style
# images are drawn by our own code: `./rotoscope models draw-styles --models models`.
#
#   scripts/debian-style-images.sh            all of them
#   scripts/debian-style-images.sh ID...      only these (e.g. elephants deep-field)
#
# The package versions are Debian 12's; if the archive has moved on, get them from snapshot.debian.org.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'debian-style-images: %s\n' "$*" >&2; }

# id | package=version | file in the package | square crop of the original (side:side:x:y)
images=(
  "elephants|mate-backgrounds=1.26.0-1|/usr/share/backgrounds/mate/abstract/Elephants.jpg|1080:1080:500:0"
  "autumn|plasma-workspace-wallpapers=4:5.27.5-2|/usr/share/wallpapers/Autumn/contents/images/2560x1600.jpg|1600:1600:820:0"
  "folds|plasma-workspace-wallpapers=4:5.27.5-2|/usr/share/wallpapers/Shell/contents/images/5120x2880.jpg|2880:2880:1120:0"
  "ribbons|plasma-workspace-wallpapers=4:5.27.5-2|/usr/share/wallpapers/Grey/contents/images/2560x1600.jpg|1600:1600:600:0"
  "cups|plasma-workspace-wallpapers=4:5.27.5-2|/usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg|1600:1600:480:0"
  "moss|plasma-workspace-wallpapers=4:5.27.5-2|/usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg|1200:1200:700:0"
  "petals|mate-backgrounds=1.26.0-1|/usr/share/backgrounds/mate/nature/FreshFlower.jpg|1203:1203:200:0"
  "deep-field|python3-skimage=0.19.3-8|/usr/lib/python3/dist-packages/skimage/data/hubble_deep_field.jpg|872:872:64:0"
  "retina|python3-skimage=0.19.3-8|/usr/lib/python3/dist-packages/skimage/data/retina.jpg|960:960:225:225"
  "gravel|python3-skimage=0.19.3-8|/usr/lib/python3/dist-packages/skimage/data/gravel.png|512:512:0:0"
)

command -v ffmpeg >/dev/null || { say "ffmpeg is required (scripts/bootstrap.sh installs it)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for entry in "${images[@]}"; do
  IFS='|' read -r id package file crop <<<"$entry"
  if [ $# -gt 0 ] && [[ " $* " != *" $id "* ]]; then
    continue
  fi

  name=${package%%=*}
  if [ ! -d "$work/$name" ]; then
    (cd "$work" && apt-get download -q "$package" >/dev/null 2>&1) || { say "cannot download $package (apt-get update, or snapshot.debian.org)"; exit 1; }
    dpkg-deb -x "$work/$name"_*.deb "$work/$name"
  fi

  mkdir -p "models/$id"
  # -bitexact: no encoder version in the file, so the same ffmpeg gives the same bytes.
  ffmpeg -nostdin -loglevel error -y -i "$work/$name$file" \
    -vf "crop=$crop,scale=512:512:flags=lanczos,format=yuvj420p" -q:v 3 \
    -map_metadata -1 -fflags +bitexact -flags:v +bitexact "models/$id/style.jpg"
  say "$id: models/$id/style.jpg from $package $file ($(stat -c %s "models/$id/style.jpg") bytes)"
done
