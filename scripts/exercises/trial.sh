#!/usr/bin/env bash
# For maintainers: do the fifteen exercises leave the course working? For each exercise, in a
# fresh clone of this repository's HEAD: apply its reference solution to the working tree, run
# the tests (all of npm test, or only the files an exercise affects), npm run docs, and
# npm run compare against the course's own server, unchanged (a second clone), then reset the
# exercise and check that git status is clean. Re-run it after a merge moved the code the
# solutions patch. Prints one line per exercise and step; exit status 1 if any failed.
#
#   scripts/exercises/trial.sh                 every exercise, affected test files only
#   scripts/exercises/trial.sh --full 1.1 2.3  those exercises, with the full npm test
#   TRIAL_PORT=8841 scripts/exercises/trial.sh the course server's port (default 8841)
#
# Needs git and npm; takes a few minutes (npm ci twice, a server per part).
set -uo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
port="${TRIAL_PORT:-8841}"
full=0
ids=()
for arg in "$@"; do
  if [ "$arg" = --full ]; then full=1; else ids+=("$arg"); fi
done
[ ${#ids[@]} -gt 0 ] || ids=(1.1 1.2 1.3 1.4 1.5 2.1 2.2 2.3 2.4 2.5 3.1 3.2 3.3 3.4 3.5)

work="$(mktemp -d "${TMPDIR:-/tmp}/lsbaws-trial-XXXXXX")"
server_pid=""
stop_server() { # the server runs in its own process group (setsid): npm, tsx and node stop together
  [ -n "$server_pid" ] && kill -- "-$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  server_pid=""
}
cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
git clone -q "$repo" "$work/student" && git clone -q "$repo" "$work/course" || exit 1
(cd "$work/student" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) || { echo "npm ci failed"; exit 1; }
ln -s "$work/student/node_modules" "$work/course/node_modules"
echo "node_modules" >> "$work/course/.git/info/exclude"

# The test files an exercise's part affects (without --full): its part's byte-exact tests, the
# lesson check, record's and style's. The proofs (scripts/exercise.test.ts) run with --full.
affected() {
  case "$1" in
    1.*) echo part1 ;;
    2.*) echo part2/transcripts.test.ts part2/webserver2.test.ts part2/http.test.ts ;;
    3.*) echo part3/webserver3ab.test.ts part3/transcripts.test.ts ;;
  esac
  echo scripts/site/lessons.test.ts scripts/record.test.ts scripts/style.test.ts
}

# The course's own server of a part, on $port, from the unchanged clone.
start_server() {
  stop_server
  case "$1" in
    1) args=(part1 -- --port "$port") ;;
    2) args=(part2 -- hello --port "$port") ;;
    3) args=(part3 -- 3a --port "$port") ;;
  esac
  (cd "$work/course" && exec setsid npm run --silent "${args[@]}" >"$work/server.log" 2>&1) &
  server_pid=$!
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the course server of part $1 did not start:" && cat "$work/server.log"
  return 1
}

failed=0
step() { # NAME COMMAND...: runs it in the student's clone, prints PASS/FAIL and the skips it named
  local name="$1"
  shift
  local out="$work/out.txt"
  if (cd "$work/student" && "$@") >"$out" 2>&1; then
    echo "  PASS  $name"
  else
    echo "  FAIL  $name"
    tail -n 30 "$out" | sed 's/^/        /'
    failed=1
  fi
  grep -ho 'skipped "[^"]*": .*' "$out" | sort -u | sed 's/^/        /'
}

for id in "${ids[@]}"; do
  part="${id%%.*}"
  echo "exercise $id"
  step "exercise -- $id --solution --apply" npm run --silent exercise -- "$id" --solution --apply
  if [ $full = 1 ]; then
    step "npm test" npm test
  else
    # shellcheck disable=SC2046
    step "tsc, format:check, vitest $(affected "$id" | tr '\n' ' ')" bash -c "npx tsc --noEmit && npm run --silent format:check && npx vitest run $(affected "$id" | tr '\n' ' ')"
  fi
  step "npm run docs" npm run --silent docs
  grep -h "show.* the course's code" "$work/out.txt" | sed 's/^/        /'
  start_server "$part" || { failed=1; continue; }
  # Part 2's server runs with the real clock: its Date is not the transcripts' fixed one.
  mask=()
  [ "$part" = 2 ] && mask=(--mask date)
  step "compare -- --part $part --target 127.0.0.1:$port ${mask[*]}" npm run --silent compare -- --part "$part" --target "127.0.0.1:$port" "${mask[@]}"
  stop_server
  step "exercise -- reset $id" npm run --silent exercise -- reset "$id"
  step "git status clean" bash -c 'test -z "$(git status --porcelain)"'
done
exit $failed
