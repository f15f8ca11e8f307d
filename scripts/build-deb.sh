#!/usr/bin/env bash
# Builds the Debian package of starttls-check:
#   1. cargo build --locked --profile PROFILE (release unless told)
#   2. the built binary writes its manual pages (`starttls-check man --dir`) and its bash, zsh
#      and fish completion scripts into target/assets/ of this source tree (cargo-deb reads
#      assets that are not build products from there, whatever CARGO_TARGET_DIR says)
#   3. cargo deb --no-build --profile PROFILE, with the assets [package.metadata.deb] in
#      Cargo.toml lists: /usr/bin/starttls-check, /usr/share/man/man1/*.1.gz, and the
#      completions in /usr/share/bash-completion/completions, /usr/share/zsh/vendor-completions
#      and /usr/share/fish/vendor_completions.d
# and prints the path of the .deb (target/debian/ of the target directory) on stdout.
#
#   scripts/build-deb.sh                    the release package
#   scripts/build-deb.sh --profile dev --no-build
#                                           package the debug binary already built (by
#                                           `cargo test`: CI checks the package's contents
#                                           this way, without a release build)
#   scripts/build-deb.sh -- ARGS            ARGS go to cargo deb (e.g. -- --output DIR)
#
# Needs cargo-deb (`cargo install cargo-deb --locked --version 3.8.0`) and dpkg-shlibdeps
# (Debian's dpkg-dev), from which the package's Depends comes.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    printf 'build-deb: error: %s\n' "$*" >&2
    exit 1
}

profile=release
build=yes
while [ $# -gt 0 ]; do
    case "$1" in
    --profile)
        [ $# -ge 2 ] || die "--profile needs a value"
        profile=$2
        shift 2
        ;;
    --profile=*)
        profile=${1#--profile=}
        shift
        ;;
    --no-build)
        build=no
        shift
        ;;
    --)
        shift
        break
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument $1 (try --help)" ;;
    esac
done

cargo deb --version >/dev/null 2>&1 ||
    die "cargo-deb not found: cargo install cargo-deb --locked --version 3.8.0"
command -v dpkg-shlibdeps >/dev/null ||
    die "dpkg-shlibdeps not found (apt-get install dpkg-dev): without it the package would declare no Depends"

if [ "$build" = yes ]; then
    cargo build --locked --profile "$profile" --bin starttls-check >&2
fi

target_dir=$(cargo metadata --locked --no-deps --format-version 1 |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target_dir" ] || die "cannot read the target directory from cargo metadata"
case "$profile" in
dev) profile_dir=debug ;;
*) profile_dir=$profile ;;
esac
bin="$target_dir/$profile_dir/starttls-check"
[ -x "$bin" ] || die "$bin was not built (without --no-build, this script builds it)"

assets=target/assets
rm -rf "$assets"
mkdir -p "$assets/man" "$assets/completions"
"$bin" man --dir "$assets/man" >/dev/null
"$bin" completions bash >"$assets/completions/starttls-check.bash"
"$bin" completions zsh >"$assets/completions/_starttls-check"
"$bin" completions fish >"$assets/completions/starttls-check.fish"
for f in "$assets/man/starttls-check.1" "$assets"/completions/*; do
    [ -s "$f" ] || die "$f is empty"
done

cargo deb --locked --no-build --profile "$profile" "$@"
