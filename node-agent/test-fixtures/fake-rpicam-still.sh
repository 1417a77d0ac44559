#!/bin/sh
# A stand-in for rpicam-still (and rpicam-vid) in tests, put first on PATH by the test.
#   FAKE_RPICAM_LOG      append argv here, one argument per line, then a line "--"
#   FAKE_RPICAM_FIXTURE  file copied to the -o path
#   FAKE_RPICAM_EXIT     non-zero: print FAKE_RPICAM_STDERR to stderr and exit with this code
#   FAKE_RPICAM_SLEEP    seconds to wait before doing anything else
if [ -n "$FAKE_RPICAM_LOG" ]; then printf '%s\n' "$@" -- >> "$FAKE_RPICAM_LOG"; fi
if [ -n "$FAKE_RPICAM_SLEEP" ]; then sleep "$FAKE_RPICAM_SLEEP"; fi
if [ -n "$FAKE_RPICAM_EXIT" ] && [ "$FAKE_RPICAM_EXIT" != 0 ]; then
  printf '%s\n' "${FAKE_RPICAM_STDERR:-ERROR: *** no cameras available ***}" >&2
  exit "$FAKE_RPICAM_EXIT"
fi
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) out="$2"; shift ;;
  esac
  shift
done
if [ -z "$out" ]; then echo "fake rpicam: no -o given" >&2; exit 2; fi
cp "$FAKE_RPICAM_FIXTURE" "$out"
