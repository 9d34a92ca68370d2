#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd the tests start, once per version, into
#   $TEST_SERVERS_CACHE/kube/<version>/kube-apiserver
#   $TEST_SERVERS_CACHE/etcd/<version>/etcd
# (TEST_SERVERS_CACHE defaults to ~/.cache/fc-eventing). Binaries already in the cache are reused.
# The versions are those required by test/kube/tools/go.mod; test/kube reads the same file to find them.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$here/tools"
cache="${TEST_SERVERS_CACHE:-$HOME/.cache/fc-eventing}"
go="${GO:-go}"

modversion() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$tools/go.mod"; }

kube_version="$(modversion k8s.io/kubernetes)"
etcd_version="$(modversion go.etcd.io/etcd/server/v3)"
if [[ -z "$kube_version" || -z "$etcd_version" ]]; then
  echo "build.sh: cannot read the kubernetes/etcd versions from $tools/go.mod" >&2
  exit 1
fi

kube_dir="$cache/kube/$kube_version"
etcd_dir="$cache/etcd/$etcd_version"
mkdir -p "$cache"

# One build at a time per cache, however many make invocations run at once.
exec 9>"$cache/.build.lock"
flock 9

# build PKG OUT LDFLAGS: go build inside the tools module into a temporary file, then move it in place,
# so an interrupted build never leaves a half-written binary that looks cached.
build() {
  local pkg="$1" out="$2" ldflags="$3" start end
  mkdir -p "$(dirname "$out")"
  start=$(date +%s)
  echo "building $pkg -> $out"
  (cd "$tools" && CGO_ENABLED=0 "$go" build -mod=readonly -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg")
  mv -f "$out.tmp" "$out"
  end=$(date +%s)
  echo "built $out in $((end - start))s"
}

if [[ -x "$etcd_dir/etcd" ]]; then
  echo "etcd $etcd_version: cached at $etcd_dir/etcd"
else
  build go.etcd.io/etcd/server/v3 "$etcd_dir/etcd" "-s -w"
fi

if [[ -x "$kube_dir/kube-apiserver" ]]; then
  echo "kube-apiserver $kube_version: cached at $kube_dir/kube-apiserver"
else
  v="${kube_version#v}"
  major="${v%%.*}"
  minor="${v#*.}"
  minor="${minor%%.*}"
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$kube_version -X $p.gitMajor=$major -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  build k8s.io/kubernetes/cmd/kube-apiserver "$kube_dir/kube-apiserver" "$ld"
fi
