#!/usr/bin/env bash
# Sets up what is missing, makes a short sample clip (a synthetic flight over hills, with sound) and renders it with a
# built-in style on the embedded defaults: local data store, in-process scheduler, CPU. No servers, no accounts.
#   scripts/sample.sh [STYLE]      (default: mosaic; 'rotoscope styles' lists them)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
style="${1:-mosaic}"
mkdir -p samples
if [ ! -f samples/hills.mp4 ]; then
  horizon='H*0.5+18*sin((X+T*50)/60)+9*sin((X+T*50)/23)'
  sun='lt(pow(X-520,2)+pow(Y-70,2),900)'
  ffmpeg -nostdin -v error -f lavfi -i "nullsrc=size=640x360:rate=30,format=rgb24,geq=\
r='if($sun,255,if(lt(Y,$horizon),90+Y*0.35,70+40*sin(X/9+Y/6)*sin((X+T*70)/31)+Y*0.1))':\
g='if($sun,220,if(lt(Y,$horizon),150+Y*0.3,120+45*sin((X+T*70)/19)*cos(Y/13)+Y*0.15))':\
b='if($sun,90,if(lt(Y,$horizon),235-Y*0.1,50+20*sin(X/5+Y/4)))'" \
    -f lavfi -i "sine=frequency=220:sample_rate=48000" -t 3 \
    -c:v libx264 -pix_fmt yuv420p -c:a aac -movflags +faststart -y samples/hills.mp4.partial.mp4
  mv samples/hills.mp4.partial.mp4 samples/hills.mp4
fi
# samples/ is this script's own folder: a result of an earlier version of the style is replaced.
./rotoscope render samples/hills.mp4 --style "$style" --overwrite
