#!/usr/bin/env bash
# Fills DIR with the upstream source tarballs that `pyoxidizer python-distribution-build`
# needs, taken from Debian's source packages (the only source of sources reachable here).
#
# It enables deb-src for every suite already configured for binary packages, through one
# extra sources file (rewritten only when its content changes), runs apt-get update, then
# `apt-get source --download-only` for each package whose orig tarball is not yet in DIR.
# Rerunning it with everything present does no network work at all.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir="$1"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

# Debian source package -> the orig tarball prefix it provides (NAME_ in NAME_VERSION.orig.tar.*).
packages=(python3.11 zlib bzip2 xz-utils libffi sqlite3 openssl expat ncurses readline util-linux libzstd)

missing=()
for pkg in "${packages[@]}"; do
  if ! compgen -G "$dir/${pkg}_*.orig.tar.*" >/dev/null; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "all ${#packages[@]} source tarballs are already in $dir"
  exit 0
fi

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
src_file=/etc/apt/sources.list.d/pyoxidizer-deb-src.sources

# Build a deb822 deb-src stanza for each "Types: deb" stanza of the enabled .sources files,
# and for each "deb" line of the enabled .list files (only stanzas that name Debian's own
# archives: third-party repositories rarely publish sources).
derive_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    [ "$f" = "$src_file" ] && continue
    case "$f" in
      *.sources)
        awk '
          function flush() {
            if (types ~ /(^| )deb( |$)/ && uris ~ /debian/ && types !~ /deb-src/)
              printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n%s\n", uris, suites, comps, (signed != "" ? "Signed-By: " signed "\n" : "")
            types = uris = suites = comps = signed = ""
          }
          /^[[:space:]]*$/ { flush(); next }
          /^[[:space:]]*#/ { next }
          /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
          /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
          /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
          /^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
          /^Signed-By:/ { sub(/^Signed-By:[[:space:]]*/, ""); signed = $0 }
          END { flush() }
        ' "$f"
        ;;
      *)
        awk '
          $1 == "deb" && $0 ~ /debian/ {
            i = 2; opts = ""
            if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
            uri = $i; suite = $(i + 1); comps = ""
            for (j = i + 2; j <= NF; j++) comps = comps (comps ? " " : "") $j
            printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: %s\n\n", uri, suite, comps
          }
        ' "$f"
        ;;
    esac
  done
}

wanted="$(derive_sources)"
if [ -n "$wanted" ]; then
  if [ ! -f "$src_file" ] || [ "$(cat "$src_file")" != "$wanted" ]; then
    printf '%s\n' "$wanted" | $SUDO tee "$src_file" >/dev/null
    echo "wrote $src_file"
  fi
elif ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "error: no Debian 'deb' entry found in /etc/apt/sources.list{,.d/}; cannot enable deb-src" >&2
  exit 1
fi
$SUDO apt-get update -qq

# A security suite's index can name a version whose files the mirror no longer serves (a 404):
# then ask each configured suite in turn; every suite of a release shares the orig tarball.
suites="$( (printf '%s\n' "$wanted"; cat /etc/apt/sources.list.d/*.sources 2>/dev/null) \
  | sed -n 's/^Suites:[[:space:]]*//p' | tr ' ' '\n' | awk 'NF && !seen[$0]++')"
# Each package is downloaded into its own scratch folder, and only a complete download's
# upstream tarball (NAME_VERSION.orig.tar.*) is moved into DIR: a failed attempt must not
# leave a second version behind (the builder rejects two versions of one library).
try_source() {
  local spec="$1" scratch
  scratch="$(mktemp -d "$dir/.fetch.XXXXXX")"
  # apt's download user must be able to write there, or apt warns about an unsandboxed download.
  chown _apt "$scratch" 2>/dev/null || true
  if (cd "$scratch" && apt-get source --download-only -qq "$spec" >/dev/null 2>&1); then
    find "$scratch" -maxdepth 1 -name '*_*.orig.tar.*' ! -name '*.asc' -exec mv -f {} "$dir/" \;
    rm -rf "$scratch"
    return 0
  fi
  rm -rf "$scratch"
  return 1
}
fetch_one() {
  local pkg="$1" suite
  try_source "$pkg" && return 0
  for suite in $suites; do
    try_source "$pkg/$suite" && return 0
  done
  echo "error: apt-get source could not download the source package $pkg from any suite" >&2
  return 1
}

for pkg in "${missing[@]}"; do
  echo "downloading the source package $pkg"
  fetch_one "$pkg"
done
ls -1 "$dir"
