#!/usr/bin/env bash
# Installs the Debian packages nightjar needs. Idempotent; says "dependencies: ok" (one line)
# when all is present, and which packages it installs when some are not.
#   scripts/install-deps.sh          build and test dependencies
#   scripts/install-deps.sh --bench  also the peers and servers the benchmarks compare against
#   scripts/install-deps.sh --test   also what the interoperability tests use: the JDK with
#                                    libhdrhistogram-java (HdrHistogram's reference reader) and
#                                    Chromium (renders the HTML report); without them those tests skip
#   scripts/install-deps.sh --java   the JDK and libhdrhistogram-java only (to regenerate fixtures)
#   scripts/install-deps.sh --fuzz   also clang and its libFuzzer/sanitizer runtimes (`make fuzz`)
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost-dev libcli11-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc libnghttp2-dev
  libssl-dev zlib1g-dev libsqlite3-dev
  libgtest-dev libgmock-dev
)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(wrk nginx-light hey time util-linux nghttp2-client openssl python3) ;;
    --java) packages+=(default-jdk-headless libhdrhistogram-java) ;;
    --test) packages+=(default-jdk-headless libhdrhistogram-java chromium nginx-light) ;;
    --fuzz) packages+=(clang libclang-rt-dev) ;;
    *) echo "install-deps.sh: unknown option '$arg' (use --bench, --test, --java or --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "dependencies: ok"
  exit 0
fi

echo "dependencies: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "dependencies: ok"
