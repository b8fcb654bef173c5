#!/usr/bin/env bash
# A packed library in a project outside the repository: packs the libraries Distill.Student needs (version, XML docs
# and readme from src/Directory.Build.props) into a local folder, creates a new console project, installs
# Distill.Student from that folder (its dependencies from the usual feed), compiles the library sample's code
# (samples/student: own module, own loss, a cache read directly) against the package and trains one epoch on a
# 2,000-image cache. The TorchSharp load fix reaches the new project through the package's buildTransitive targets.
#   bash tools/pack-check.sh            (about 2 minutes here; prints "pack-check: ok" at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d /tmp/distill-pack-check.XXXXXX)
# A version of its own for each check: NuGet keeps an installed id+version in its global folder and never reads the
# local folder again for it, so a fixed version would install the first build ever packed. Removed again at the end.
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)-check.$(date +%s).$$"
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
libs="Distill.Data Distill.Cache Distill.Onnx Distill.Student"
cleanup() {
  rm -rf "$work"
  for lib in $libs; do rm -rf "$packages/${lib,,}/$version"; done
}
trap cleanup EXIT
echo "== dotnet pack (version $version) into $work/nupkg"
for lib in $libs; do
  dotnet pack src/$lib -c Release -nologo -v q -o "$work/nupkg" -p:Version="$version"
done
unzip -l "$work/nupkg/Distill.Student.$version.nupkg" | grep -E "buildTransitive/Distill.Student.targets|lib/net10.0/Distill.Student.xml|README.md" \
  || { echo "pack-check: the package lacks its targets, XML docs or readme" >&2; exit 1; }
echo "== a new console project with Distill.Student $version from the local folder"
mkdir "$work/app"
cd "$work/app"
dotnet new console --framework net10.0 -n app -o . >/dev/null
rm Program.cs
cp "$repo"/samples/student/*.cs .
# The local folder first, then the usual feed for TorchSharp, Parquet.Net and the rest.
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/nupkg" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
</configuration>
XML
dotnet add package Distill.Student --version "$version" >/dev/null
dotnet build -c Release -nologo -v q -clp:ErrorsOnly
echo "== a 2,000-image cache and one epoch"
dotnet "$repo/tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll" --teacher "$repo/models/fmnist-resnet/fmnist-resnet.onnx" \
  --dataset fashion-mnist --split train --limit 2000 --out "$work/cache" --device cpu --threads 2 >/dev/null
dotnet bin/Release/net10.0/app.dll --cache "$work/cache" --out "$work/run" --epochs 1
test -s "$work/run/student.onnx"
echo "pack-check: ok"
