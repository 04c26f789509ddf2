# shellcheck shell=bash
# Sourced right after `set -euo pipefail` by every script of the project: a
# command that ends the script under `set -e` says which one, where, and
# with what status, instead of a silent exit. -E hands the trap on to
# functions, command substitutions and subshells.
set -E
trap 'on_error_status=$?; printf "error: %s:%s: %s exited with status %d\n" "${BASH_SOURCE[0]:-$0}" "$LINENO" "$BASH_COMMAND" "$on_error_status" >&2' ERR
