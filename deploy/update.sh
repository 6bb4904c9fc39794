#!/usr/bin/env bash
# Installs the latest voice-app release when it differs from the installed one
# (README.md, "Deploy"). Run by voice_app-update.timer (off by default) or by hand:
#
#   /opt/voice_app/current/deploy/update.sh
#
# Settings: /etc/voice_app/update.env (VOICEAPP_REPO=owner/name, VOICEAPP_API,
# GITHUB_TOKEN); variables in the environment override it.
#
# Asks $VOICEAPP_API/repos/$VOICEAPP_REPO/releases/latest, picks
# voice-app-*-linux-<arch>.tar.gz, and takes its SHA-256 from the
# <asset>.sha256 asset and the asset's digest (both, when both exist, must
# agree). Same hash as the current release: nothing to do. Otherwise it
# downloads it (unless a kept release has that hash), checks the hash, unpacks,
# checks SHA256SUMS, points /opt/voice_app/current at it, restarts voice_app and
# waits for /health to report its version; if it does not, switches back. Exit
# status: 0 up to date or updated, 1 anything else (also: the latest failed here).
set -euo pipefail

SCRIPT_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
PROG=update.sh
# shellcheck source=deploy/lib.sh
. "$SCRIPT_DIR/lib.sh"

main() {
  case ${1:-} in
    '') ;;
    -h | --help)
      sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
  require_root
  require_systemd
  need sha256sum tar curl
  [ -L "$CURRENT" ] || die "voice-app is not installed here (no ${CURRENT#"$ROOT"}): run install.sh first"
  take_lock
  load_update_settings

  fetch_latest
  RELEASE_NAME=$(installed_release_with "$LATEST_SHA")
  if [ -n "$RELEASE_NAME" ] && [ "$RELEASE_NAME" = "$(link_name "$CURRENT")" ]; then
    say "up to date: $RELEASE_NAME ($LATEST_TAG)"
    exit 0
  fi
  if [ -f "$FAILED" ] && [ "$(cut -d' ' -f1 "$FAILED")" = "$LATEST_SHA" ]; then
    die "$LATEST_FILE ($LATEST_TAG) failed its health check here before and was rolled back; not trying it again. To retry: rm ${FAILED#"$ROOT"}"
  fi
  if [ -n "$RELEASE_NAME" ]; then
    # Still unpacked, e.g. the previous release kept for rollback (a bad release was withdrawn): no download.
    say "the latest release, $LATEST_FILE ($LATEST_TAG), is unpacked already as $RELEASE_NAME: switching back to it"
    verify_release "$RELEASES/$RELEASE_NAME"
  else
    download_latest
    unpack_release "$DOWNLOADED" "$LATEST_SHA" "$LATEST_FILE"
  fi
  switch_release "$RELEASE_NAME"
  install_units "$RELEASES/$RELEASE_NAME/deploy/systemd"
  start_service 1
  check_or_rollback "$RELEASE_NAME"
  say "updated to $RELEASE_NAME ($LATEST_TAG)${OLD_NAME:+; $OLD_NAME is kept for rollback}"
}

# Everything is read before anything runs: the release this script lives in
# may be swapped out while it runs.
main "$@"
