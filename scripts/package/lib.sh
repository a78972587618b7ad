# Sourced by the packaging scripts. Reads the version and the image name CMake wrote into the
# release build directory (build/release/package.env), so every artefact is named from CMake's
# project version and nothing else.
kubevip_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

kubevip_load_package_env() {
  local env_file=$kubevip_repo/build/release/package.env
  [ -f "$env_file" ] || { echo "package: $env_file is missing: configure first (cmake --preset release)" >&2; return 1; }
  # shellcheck disable=SC1090
  . "$env_file"
  export KUBEVIP_VERSION KUBEVIP_IMAGE
}

# Debian's name for an architecture, and the GNU triplet of its multiarch directories.
kubevip_triplet() {
  case "$1" in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    *) echo "package: unknown architecture '$1' (amd64 or arm64)" >&2; return 1 ;;
  esac
}
