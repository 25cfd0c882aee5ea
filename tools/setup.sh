#!/usr/bin/env bash
# NativeNet machine setup for Debian 12 (bookworm). Idempotent: installs only what
# is missing, runs `apt-get update` only when something must be installed, and
# never calls apt when everything is already there (so it also runs as non-root).
#
#   bash tools/setup.sh               runtime + test dependencies (OpenBLAS, datasets, ONNX test data)
#   bash tools/setup.sh --reference   also PyTorch/ONNX for tools/reference/ (regenerating fixtures)
#   bash tools/setup.sh --cuda        also the CUDA toolkit (enables Debian contrib/non-free; ~5 GB)
#   bash tools/setup.sh --nvrtc       only NVRTC + libcu++ headers (~17 MB, non-free): compile-checks the kernels without nvcc
#   bash tools/setup.sh --dry-run     print what would be done, change nothing
#
# Other systems: see README.md ("Installing on other systems").
set -euo pipefail

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

ORIG_ARGS="$*"
WANT_CUDA=0
WANT_NVRTC=0
WANT_REFERENCE=0
DRY_RUN=0
VERBOSE=0
for arg in "$@"; do
    case "$arg" in
        --cuda) WANT_CUDA=1 ;;
        --nvrtc) WANT_NVRTC=1 ;;
        --reference) WANT_REFERENCE=1 ;;
        --dry-run|-n) DRY_RUN=1 ;;
        --verbose|-v) VERBOSE=1 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "setup: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

log() { echo "setup: $*"; }
vlog() { if [[ $VERBOSE -eq 1 ]]; then echo "setup: $*"; fi; }
die() { echo "setup: error: $*" >&2; exit 1; }

# ---------------------------------------------------------------- packages
REQUIRED=(
    libopenblas0-pthread      # CBLAS for the CPU backend (libopenblas.so.0)
    dataset-fashion-mnist     # /usr/share/datasets/fashion-mnist/*.gz
    libonnx-testdata          # ONNX backend conformance test cases
    protobuf-compiler         # protoc, for the ONNX schema
    python3-onnx              # onnx.proto / onnx-data.proto: the build generates the ONNX C# types from them
    librsvg2-bin              # rsvg-convert: History.Plot and --plot render their SVG to PNG
)
OPTIONAL=(
    python3-crcmod            # TensorBoard event-file CRC checks in tests (optional)
)
if [[ $WANT_REFERENCE -eq 1 ]]; then
    REQUIRED+=(python3-numpy python3-torch python3-torchvision)
fi
CUDA_PACKAGES=(nvidia-cuda-toolkit nvidia-cuda-toolkit-gcc)
if [[ $WANT_NVRTC -eq 1 && $WANT_CUDA -eq 0 ]]; then
    CUDA_PACKAGES=(libnvrtc11.2 libcu++-dev)   # NVRTC (non-free) and the libcu++ headers the kernels use under NVRTC
fi

HAVE_DPKG=0
if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    HAVE_DPKG=1
fi

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

missing_of() {  # prints the packages among "$@" that are not installed
    local p
    for p in "$@"; do
        is_installed "$p" || echo "$p"
    done
}

SUDO=()
APT_UPDATED=0
APT_LOG="$(mktemp -t nativenet-setup.XXXXXX)"
trap 'rm -f "$APT_LOG"' EXIT

need_root() {  # $1: what for; sets SUDO or dies with the command to run
    if [[ $(id -u) -eq 0 ]]; then
        SUDO=()
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO=(sudo -n)
    else
        die "$1 needs root. Run as root:  bash tools/setup.sh${ORIG_ARGS:+ $ORIG_ARGS}
       or install them yourself:    apt-get install --no-install-recommends $MISSING_TEXT"
    fi
}

run_apt() {  # run an apt-get command quietly; show its log on failure
    if [[ $DRY_RUN -eq 1 ]]; then
        log "would run: apt-get $*"
        return 0
    fi
    vlog "apt-get $*"
    if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 -y -qq "$@" >"$APT_LOG" 2>&1; then
        echo "setup: error: 'apt-get $*' failed; last lines of its output:" >&2
        tail -n 25 "$APT_LOG" >&2
        return 1
    fi
}

apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        run_apt update || die "apt-get update failed (is the network or a mirror reachable?)"
        APT_UPDATED=1
    fi
}

install_packages() {  # $1: "required"|"optional"; rest: packages (all missing)
    local kind="$1"; shift
    [[ $# -gt 0 ]] || return 0
    apt_update_once
    log "installing ($kind): $*"
    if ! run_apt install --no-install-recommends "$@"; then
        if [[ "$kind" == optional ]]; then
            log "warning: optional package(s) not installed: $* (continuing)"
            return 0
        fi
        die "could not install: $*"
    fi
}

# Add the 'contrib non-free' components to Debian's own apt sources (the CUDA
# toolkit lives in non-free, some of its dependencies in contrib). Handles the
# deb822 file (/etc/apt/sources.list.d/debian.sources, the bookworm default) and
# the one-line /etc/apt/sources.list format. Only entries with component 'main'
# pointing at a Debian archive are touched; each changed file is backed up once.
add_components_deb822() {  # stdin -> stdout
    awk '
        function has(line, word) { return line ~ ("(^|[ \t])" word "([ \t]|$)") }
        /^[ \t]*Components:/ && has($0, "main") {
            line = $0; sub(/[ \t]+$/, "", line)
            if (!has(line, "contrib"))  line = line " contrib"
            if (!has(line, "non-free")) line = line " non-free"
            print line; next
        }
        { print }'
}

add_components_list() {  # stdin -> stdout
    awk '
        function has(line, word) { return line ~ ("(^|[ \t])" word "([ \t]|$)") }
        /^[ \t]*deb(-src)?[ \t]/ && $0 ~ /debian/ && has($0, "main") {
            line = $0; comment = ""
            i = index(line, "#")
            if (i > 0) { comment = " " substr(line, i); line = substr(line, 1, i - 1) }
            sub(/[ \t]+$/, "", line)
            if (!has(line, "contrib"))  line = line " contrib"
            if (!has(line, "non-free")) line = line " non-free"
            print line comment; next
        }
        { print }'
}

enable_contrib_nonfree() {
    local changed=0 f tmp kind
    local -a files=()
    [[ -f /etc/apt/sources.list.d/debian.sources ]] && files+=(/etc/apt/sources.list.d/debian.sources)
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    [[ ${#files[@]} -gt 0 ]] || die "no Debian apt sources found (/etc/apt/sources.list or /etc/apt/sources.list.d/debian.sources);
       add the 'contrib non-free' components to your Debian entries by hand, then rerun."
    for f in "${files[@]}"; do
        tmp="$(mktemp)"
        case "$f" in
            *.sources) kind=deb822; add_components_deb822 <"$f" >"$tmp" ;;
            *) kind=list; add_components_list <"$f" >"$tmp" ;;
        esac
        if cmp -s "$f" "$tmp"; then
            vlog "$f already has contrib non-free"
            rm -f "$tmp"
            continue
        fi
        if [[ $DRY_RUN -eq 1 ]]; then
            log "would add 'contrib non-free' to $f ($kind):"
            diff -u "$f" "$tmp" | sed 's/^/    /' || true
            rm -f "$tmp"
            continue
        fi
        [[ -e "$f.nativenet.bak" ]] || "${SUDO[@]}" cp -p "$f" "$f.nativenet.bak"
        "${SUDO[@]}" sh -c 'cat "$1" > "$2"' sh "$tmp" "$f"
        rm -f "$tmp"
        log "added 'contrib non-free' to $f (backup: $f.nativenet.bak)"
        changed=1
    done
    if [[ $changed -eq 1 ]]; then
        APT_UPDATED=0   # new components: lists must be fetched again
    fi
}

if [[ $HAVE_DPKG -eq 1 ]]; then
    mapfile -t MISSING < <(missing_of "${REQUIRED[@]}")
    mapfile -t MISSING_OPT < <(missing_of "${OPTIONAL[@]}")
    MISSING_CUDA=()
    if [[ $WANT_CUDA -eq 1 || $WANT_NVRTC -eq 1 ]]; then
        mapfile -t MISSING_CUDA < <(missing_of "${CUDA_PACKAGES[@]}")
    fi
    MISSING_TEXT="$(echo "${MISSING[*]} ${MISSING_CUDA[*]}" | xargs)"

    if [[ ${#MISSING[@]} -gt 0 || ${#MISSING_CUDA[@]} -gt 0 ]]; then
        if [[ $DRY_RUN -eq 0 ]]; then
            need_root "installing $MISSING_TEXT"
        fi
        if [[ ${#MISSING_CUDA[@]} -gt 0 ]]; then
            enable_contrib_nonfree
        fi
        install_packages required "${MISSING[@]}"
        if [[ ${#MISSING_CUDA[@]} -gt 0 ]]; then
            log "installing the CUDA toolkit (large download): ${MISSING_CUDA[*]}"
            install_packages required "${MISSING_CUDA[@]}"
        fi
    fi
    if [[ ${#MISSING_OPT[@]} -gt 0 ]]; then
        # Optional: install only when we may (root or passwordless sudo); otherwise just say so.
        if [[ $DRY_RUN -eq 1 || $(id -u) -eq 0 ]]; then
            install_packages optional "${MISSING_OPT[@]}"
        elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            SUDO=(sudo -n)
            install_packages optional "${MISSING_OPT[@]}"
        else
            log "note: optional package(s) not installed: ${MISSING_OPT[*]} (not root; skipped)"
        fi
    fi
    vlog "Debian packages present: ${REQUIRED[*]}"
else
    log "warning: not a Debian/apt system; install these yourself (see README.md):"
    log "  OpenBLAS (libopenblas.so.0 or libblas.so.3), the Fashion-MNIST IDX files,"
    log "  the ONNX backend test data, protoc"
    if [[ $WANT_REFERENCE -eq 1 ]]; then log "  and for --reference: Python 3 with numpy, PyTorch, torchvision, onnx"; fi
    if [[ $WANT_CUDA -eq 1 ]]; then log "  and for --cuda: the CUDA toolkit (nvcc) with a supported host compiler"; fi
fi

# ---------------------------------------------------------------- checks
if [[ $WANT_CUDA -eq 1 && $DRY_RUN -eq 0 ]]; then
    command -v nvcc >/dev/null 2>&1 || die "nvcc not found on PATH after installing the CUDA toolkit"
    vlog "$(nvcc --version | tail -n 1)"
fi

DOTNET_HELP="The .NET 10 SDK is required (https://dot.net). On Debian 12, either:
  - Microsoft's package feed:  wget https://packages.microsoft.com/config/debian/12/packages-microsoft-prod.deb
                               dpkg -i packages-microsoft-prod.deb && apt-get update && apt-get install dotnet-sdk-10.0
  - or the install script:     curl -sSL https://dot.net/v1/dotnet-install.sh | bash -s -- --channel 10.0
                               export PATH=\"\$HOME/.dotnet:\$PATH\"
Then rerun: bash tools/setup.sh"

if ! command -v dotnet >/dev/null 2>&1; then
    for candidate in "${DOTNET_ROOT:-}" "$HOME/.dotnet" /usr/share/dotnet /usr/lib/dotnet; do
        if [[ -n "$candidate" && -x "$candidate/dotnet" ]]; then
            die "'dotnet' is installed in $candidate but not on PATH: export PATH=\"$candidate:\$PATH\""
        fi
    done
    die "'dotnet' not found on PATH.
$DOTNET_HELP"
fi
if ! DOTNET_VERSION="$(dotnet --version 2>/dev/null)"; then
    die "'dotnet --version' failed (no SDK installed? a runtime alone is not enough).
$DOTNET_HELP"
fi
DOTNET_MAJOR="${DOTNET_VERSION%%.*}"
if ! [[ "$DOTNET_MAJOR" =~ ^[0-9]+$ ]] || [[ "$DOTNET_MAJOR" -lt 10 ]]; then
    die ".NET SDK $DOTNET_VERSION found, but NativeNet targets net10.0.
$DOTNET_HELP"
fi

if [[ $DRY_RUN -eq 1 ]]; then
    log "dry run: nothing changed; .NET SDK $DOTNET_VERSION"
else
    log "ok (.NET SDK $DOTNET_VERSION)"
fi
