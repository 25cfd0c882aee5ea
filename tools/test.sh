#!/usr/bin/env bash
# Runs the whole NativeNet test suite: the README's test command (.ci/run calls it).
#
#   bash tools/test.sh [extra dotnet test arguments, e.g. --filter Category!=Slow]
#
# Installs what is missing (tools/setup.sh), builds the solution in Release, runs
# each test project with a TRX logger into artifacts/test-results/<Project>/results.trx,
# and ends with one line summed over all projects:
#
#   N passed, N failed, N skipped
#
# Exit status: 0 only if the build succeeded, every test run completed and no test failed.
# Each project gets its own results directory because `dotnet test <solution>` with a
# fixed LogFileName makes every project overwrite the same .trx file.
#
# Where cmake (>= 3.21) and a C++ compiler are present, the native tests (CMakeLists.txt,
# native/tests) are built in artifacts/native-build and run with ctest too, and their
# counts are included; where they are not, that step is skipped with a note.
#
# Environment: NATIVENET_SOLUTION (default NativeNet.sln), NATIVENET_TEST_RESULTS
# (default artifacts/test-results), NATIVENET_TEST_HANG_TIMEOUT (default 20m: a test
# host that hangs that long is stopped and its run reported as failed),
# NATIVENET_SKIP_SETUP=1 to skip tools/setup.sh, NATIVENET_SKIP_NATIVE=1 to skip the
# native tests.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SOLUTION="${NATIVENET_SOLUTION:-NativeNet.sln}"
RESULTS_DIR="${NATIVENET_TEST_RESULTS:-$ROOT/artifacts/test-results}"
HANG_TIMEOUT="${NATIVENET_TEST_HANG_TIMEOUT:-20m}"

say() { echo "test: $*"; }

if [[ "${NATIVENET_SKIP_SETUP:-0}" != 1 ]]; then
    bash "$ROOT/tools/setup.sh"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_CLI_UI_LANGUAGE=en

[[ -f "$SOLUTION" ]] || { say "error: solution '$SOLUTION' not found in $ROOT" >&2; exit 1; }

# Counts for one .trx file, printed as "passed failed skipped". Taken from the
# <Counters> element (skipped = not executed: xunit's skipped tests are counted in
# total but not in executed, and notExecuted stays 0), cross-checked against the
# outcomes of the <UnitTestResult> elements, which are used when <Counters> is absent.
trx_counts() {
    awk -v file="$1" '
        BEGIN { RS = "<" }
        function attr(s, name,   m) {
            if (match(s, "[ \t\r\n]" name "=\"[0-9]+\"")) {
                m = substr(s, RSTART, RLENGTH); sub(/^[^"]*"/, "", m); sub(/"$/, "", m)
                return m + 0
            }
            return 0
        }
        function outcome(s,   m) {
            if (match(s, "[ \t\r\n]outcome=\"[A-Za-z]+\"")) {
                m = substr(s, RSTART, RLENGTH); sub(/^[^"]*"/, "", m); sub(/"$/, "", m)
                return m
            }
            return ""
        }
        /^Counters[ \t\r\n\/]/ {
            have = 1
            total = attr($0, "total"); executed = attr($0, "executed")
            passed = attr($0, "passed")
            failed = attr($0, "failed") + attr($0, "error") + attr($0, "timeout") + attr($0, "aborted")
            skipped = attr($0, "notExecuted")
            if (total - executed > skipped) skipped = total - executed
        }
        /^UnitTestResult[ \t\r\n\/]/ {
            results++
            o = outcome($0)
            if (o == "Passed") rp++
            else if (o == "NotExecuted") rs++
            else if (o == "Failed" || o == "Error" || o == "Timeout" || o == "Aborted") rf++
        }
        END {
            if (!have && !results) { print "none"; exit }
            if (!have) { print rp + 0, rf + 0, rs + 0; exit }
            if (results && (rp != passed || rf != failed || rs != skipped))
                printf "test: warning: %s: <Counters> say %d/%d/%d passed/failed/skipped, test results say %d/%d/%d\n", \
                    file, passed, failed, skipped, rp, rf, rs > "/dev/stderr"
            print passed, failed, skipped
        }' "$1"
}

# Counts from a CTest JUnit file (<testsuite tests=".." failures=".." skipped=".." disabled="..">),
# printed as "passed failed skipped".
junit_counts() {
    awk '
        BEGIN { RS = "<" }
        function attr(s, name,   m) {
            if (match(s, "[ \t\r\n]" name "=\"[0-9]+\"")) {
                m = substr(s, RSTART, RLENGTH); sub(/^[^"]*"/, "", m); sub(/"$/, "", m)
                return m + 0
            }
            return 0
        }
        /^testsuite[ \t\r\n\/]/ {
            have = 1
            tests += attr($0, "tests"); failed += attr($0, "failures") + attr($0, "errors")
            skipped += attr($0, "skipped") + attr($0, "disabled")
        }
        END {
            if (!have) { print "none"; exit }
            print tests - failed - skipped, failed, skipped
        }' "$1"
}

# The solution's test projects: listed in the solution and marked as test projects.
mapfile -t PROJECTS < <(dotnet sln "$SOLUTION" list 2>/dev/null | tr '\\' '/' | grep -E '\.(cs|fs|vb)proj$' || true)
TEST_PROJECTS=()
for p in "${PROJECTS[@]}"; do
    p="$(dirname "$SOLUTION")/$p"; p="${p#./}"
    if [[ -f "$p" ]] && grep -qE '<IsTestProject>[[:space:]]*true|Include="Microsoft\.NET\.Test\.Sdk"' "$p"; then
        TEST_PROJECTS+=("$p")
    fi
done
if [[ ${#TEST_PROJECTS[@]} -eq 0 ]]; then
    say "error: no test projects found in $SOLUTION" >&2
    exit 1
fi

rm -rf "$RESULTS_DIR"
mkdir -p "$RESULTS_DIR"

TOTAL_PASSED=0 TOTAL_FAILED=0 TOTAL_SKIPPED=0
PROBLEMS=()

say "building $SOLUTION (Release)"
if ! dotnet build "$SOLUTION" -c Release --nologo -v quiet; then
    PROBLEMS+=("the build failed")
else
    for proj in "${TEST_PROJECTS[@]}"; do
        name="$(basename "${proj%.*}")"
        out="$RESULTS_DIR/$name"
        say "running $name"
        set +e
        dotnet test "$proj" -c Release --no-build --nologo \
            --logger "trx;LogFileName=results.trx" --results-directory "$out" \
            --blame-hang-timeout "$HANG_TIMEOUT" --blame-hang-dump-type none "$@"
        rc=$?
        set -e
        mapfile -t trx_files < <(find "$out" -name '*.trx' -type f 2>/dev/null | sort)
        p_passed=0 p_failed=0 p_skipped=0
        for trx in "${trx_files[@]}"; do
            counts="$(trx_counts "$trx")"
            if [[ "$counts" == none ]]; then
                PROBLEMS+=("$name: no test counts in ${trx#"$ROOT"/}")
                continue
            fi
            read -r a b c <<<"$counts"
            p_passed=$((p_passed + a)); p_failed=$((p_failed + b)); p_skipped=$((p_skipped + c))
        done
        if [[ ${#trx_files[@]} -eq 0 ]]; then
            PROBLEMS+=("$name: no .trx results written (dotnet test exit $rc)")
        elif [[ $rc -ne 0 && $p_failed -eq 0 ]]; then
            PROBLEMS+=("$name: dotnet test exited $rc with no failed test (test host crash, hang or abort?)")
        fi
        say "$name: passed $p_passed, failed $p_failed, skipped $p_skipped"
        TOTAL_PASSED=$((TOTAL_PASSED + p_passed))
        TOTAL_FAILED=$((TOTAL_FAILED + p_failed))
        TOTAL_SKIPPED=$((TOTAL_SKIPPED + p_skipped))
    done
    if [[ ${#PROBLEMS[@]} -eq 0 && $((TOTAL_PASSED + TOTAL_FAILED)) -eq 0 ]]; then
        PROBLEMS+=("no test was executed")
    fi
fi

# Native tests (C++/CUDA under native/), where a C++ toolchain is present.
cmake_ok=0
if command -v cmake >/dev/null 2>&1 && command -v ctest >/dev/null 2>&1; then
    cmake_version="$(cmake --version | awk 'NR == 1 { print $3 }')"
    if [[ "$(printf '%s\n' 3.21 "$cmake_version" | sort -V | head -n 1)" == 3.21 ]]; then cmake_ok=1; fi
fi
if [[ "${NATIVENET_SKIP_NATIVE:-0}" == 1 ]]; then
    say "native tests skipped (NATIVENET_SKIP_NATIVE=1)"
elif [[ $cmake_ok -eq 0 ]] || ! { command -v c++ || command -v g++ || command -v clang++; } >/dev/null 2>&1; then
    say "native tests skipped: cmake >= 3.21 and a C++ compiler are needed (Debian: apt-get install cmake g++)"
else
    native_build="$ROOT/artifacts/native-build"
    native_log="$RESULTS_DIR/native/build.log"
    native_junit="$RESULTS_DIR/native/ctest.xml"
    mkdir -p "$RESULTS_DIR/native"
    say "building native tests (cmake)"
    if cmake -S "$ROOT" -B "$native_build" -DCMAKE_BUILD_TYPE=Release >"$native_log" 2>&1 &&
        cmake --build "$native_build" --parallel "$(nproc 2>/dev/null || echo 2)" >>"$native_log" 2>&1; then
        say "running native tests (ctest)"
        set +e
        ctest --test-dir "$native_build" --output-on-failure --output-junit "$native_junit"
        rc=$?
        set -e
        counts="none"
        [[ -f "$native_junit" ]] && counts="$(junit_counts "$native_junit")"
        if [[ "$counts" == none ]]; then
            PROBLEMS+=("native: no ctest results (ctest exit $rc)")
        else
            read -r a b c <<<"$counts"
            say "native (ctest): passed $a, failed $b, skipped $c"
            TOTAL_PASSED=$((TOTAL_PASSED + a)); TOTAL_FAILED=$((TOTAL_FAILED + b)); TOTAL_SKIPPED=$((TOTAL_SKIPPED + c))
            if [[ $rc -ne 0 && $b -eq 0 ]]; then PROBLEMS+=("native: ctest exited $rc with no failed test"); fi
        fi
    else
        tail -n 30 "$native_log"
        PROBLEMS+=("the native build failed (log: ${native_log#"$ROOT"/})")
    fi
fi

# A failure that produced no failed test result (build error, crashed or hung test
# host) is counted as one failure, so that the last line agrees with the exit status.
for problem in "${PROBLEMS[@]}"; do
    say "FAILED: $problem (counted as 1 failure)"
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
done
say "results: ${RESULTS_DIR#"$ROOT"/}/<Project>/results.trx"
echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed, $TOTAL_SKIPPED skipped"
[[ $TOTAL_FAILED -eq 0 ]]
