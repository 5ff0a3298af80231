#!/usr/bin/env bash
# Runs every fuzz target (or those named) for FUZZ_SECONDS each and fails if
# any of them finds a crash. Installs cargo-fuzz into .local/ on first use.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
seconds=${FUZZ_SECONDS:-60}
toolchain=${FUZZ_TOOLCHAIN:-nightly}
cargo_fuzz_version=0.13.2
export PATH="$root/.local/cargo/bin:$PATH"

if ! cargo-fuzz --version 2>/dev/null | grep -q "$cargo_fuzz_version"; then
    cargo install --locked "cargo-fuzz@$cargo_fuzz_version" --root "$root/.local/cargo" || exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cd "$fuzz" && cargo-fuzz list)
fi

cd "$fuzz" || exit 1
# libFuzzer needs no sanitizer for safe Rust to find panics; overflow checks
# and debug assertions stay on (cargo fuzz's default profile).
flags=(--sanitizer none)
cargo "+$toolchain" fuzz build "${flags[@]}" 2>&1 | tail -n 3
[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1

# Seeds: the committed corpus, plus the request bodies of events/*.json.
seeds="$fuzz/work/seeds"
mkdir -p "$seeds/request_bodies"
python3 - "$root/events" "$seeds/request_bodies" <<'PY'
import json, pathlib, sys
events, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
for f in sorted(events.glob("*.json")):
    try:
        body = json.loads(f.read_text()).get("body")
    except (ValueError, AttributeError):
        continue
    if isinstance(body, str) and body:
        (out / f.stem).write_text(body)
PY

failed=()
summary=()
for target in "${targets[@]}"; do
    corpus="$fuzz/work/corpus/$target"
    mkdir -p "$corpus" "$fuzz/artifacts/$target"
    extra=()
    [ -d "$fuzz/corpus/$target" ] && extra+=("$fuzz/corpus/$target")
    case "$target" in
        request_bodies) extra+=("$seeds/request_bodies") ;;
        http_request) extra+=("$root/events") ;;
    esac
    dict=()
    [ -f "$fuzz/dict/$target.dict" ] && dict=("-dict=$fuzz/dict/$target.dict")
    log="$fuzz/work/$target.log"
    echo "== $target: ${seconds}s"
    # New inputs go to work/ (ignored); the committed corpus is only read.
    cargo "+$toolchain" fuzz run "${flags[@]}" "$target" "$corpus" "${extra[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
        >"$log" 2>&1
    status=$?
    runs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1)
    if [ $status -ne 0 ]; then
        failed+=("$target")
        grep -E 'panicked|Test unit written|SUMMARY|ERROR' "$log" | head -n 20
        summary+=("$target: FAILED (log: fuzz/work/$target.log)")
    else
        summary+=("$target: ok, ${runs:-no stats}")
    fi
done

echo
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashes in: ${failed[*]} (inputs in fuzz/artifacts/; replay with: cd fuzz && cargo +$toolchain fuzz run ${flags[*]} <target> <input>)"
    exit 1
fi
