#!/usr/bin/env bash
# Installs voice-app as a hardened systemd service (README.md, "Deploy").
#
#   install.sh [--port N] [--host ADDR] [--repo owner/name] [--api URL] [--enable-updates] [TARBALL]
#
# TARBALL is a release (voice-app-<version>-linux-<arch>.tar.gz); its
# TARBALL.sha256, when it lies beside it, must match. Without TARBALL the latest
# release of --repo is downloaded, as update.sh does. Safe to run again: a
# second run with the same inputs changes nothing (no file written, no restart).
# --port/--host only shape the settings file when it is first created.
set -euo pipefail

SCRIPT_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
PROG=install.sh
# shellcheck source=deploy/lib.sh
. "$SCRIPT_DIR/lib.sh"

usage() {
  cat <<'EOF'
usage: install.sh [options] [voice-app-<version>-linux-<arch>.tar.gz]

  --port N          TCP port for the web page and WebSocket (new settings file only; default 8080)
  --host ADDR       address to listen on (new settings file only; default 0.0.0.0)
  --repo owner/name GitHub repository update.sh installs releases from
  --api URL         Releases API base (default https://api.github.com)
  --enable-updates  enable the daily update timer (voice_app-update.timer)

Without a tarball, the latest release of the repository is downloaded.
EOF
}

PORT=''
HOST=''
ARG_REPO=''
ARG_API=''
ENABLE_UPDATES=0
TARBALL=''
TARBALL_SHA=''

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --port)
        [ $# -ge 2 ] || die "--port needs a value"
        PORT=$2
        if ! [[ $PORT =~ ^[0-9]{1,5}$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
          die "--port must be a TCP port (1-65535), got \"$PORT\""
        fi
        shift 2
        ;;
      --host)
        [ $# -ge 2 ] || die "--host needs a value"
        HOST=$2
        [[ $HOST =~ ^[0-9A-Fa-f.:]+$ ]] || die "--host must be an IP address, got \"$HOST\""
        shift 2
        ;;
      --repo)
        [ $# -ge 2 ] || die "--repo needs a value"
        ARG_REPO=$2
        valid_repo "$ARG_REPO" || die "--repo must look like owner/name, got \"$ARG_REPO\""
        shift 2
        ;;
      --api)
        [ $# -ge 2 ] || die "--api needs a value"
        ARG_API=${2%/}
        [[ $ARG_API =~ ^https?://[^[:space:]]+$ ]] || die "--api must be an http(s) URL, got \"$ARG_API\""
        shift 2
        ;;
      --enable-updates) ENABLE_UPDATES=1 && shift ;;
      -h | --help) usage && exit 0 ;;
      -*) die "unknown option $1 (see --help)" ;;
      *)
        [ -z "$TARBALL" ] || die "only one tarball, please (got \"$TARBALL\" and \"$1\")"
        TARBALL=$1
        shift
        ;;
    esac
  done
}

# The server's settings: written once, never overwritten (an admin edits it).
CONFIG_CHANGED=0
write_env_file() {
  local gid=$1
  if [ -e "$ENV_FILE" ]; then
    local have
    have=$(read_env_value "$ENV_FILE" VOICE_PORT)
    if [ -n "$PORT" ] && [ "$PORT" != "${have:-8080}" ]; then
      warn "--port $PORT ignored: ${ENV_FILE#"$ROOT"} exists (VOICE_PORT=${have:-8080}); edit it and run systemctl restart voice_app"
    fi
    have=$(read_env_value "$ENV_FILE" VOICE_HOST)
    if [ -n "$HOST" ] && [ "$HOST" != "${have:-0.0.0.0}" ]; then
      warn "--host $HOST ignored: ${ENV_FILE#"$ROOT"} exists (VOICE_HOST=${have:-0.0.0.0})"
    fi
    return 0
  fi
  cat >"$WORK/voice_app.env" <<EOF
# voice-app server settings, read by voice_app.service (EnvironmentFile=).
# Every VOICE_* setting is described in README.md, "Configuration"; an unknown
# VOICE_* name stops the server. After a change: systemctl restart voice_app
# install.sh created this file and never overwrites it.

# Address and TCP port of the web page, the API, /health and the /control
# WebSocket. Behind a reverse proxy on this machine, listen on 127.0.0.1.
VOICE_HOST=${HOST:-0.0.0.0}
VOICE_PORT=${PORT:-8080}

# UDP ports for the voice lane (WebRTC); open this range in the firewall.
# One or two ports per connected user (one per address family the host has).
VOICE_RTC_PORT_MIN=40000
VOICE_RTC_PORT_MAX=40199

# Behind NAT: the public IP address written into ICE candidates.
#VOICE_RTC_ANNOUNCED_ADDRESS=203.0.113.10

# Name shown to clients.
#VOICE_SERVER_NAME=voice-app

# Behind a reverse proxy: whose X-Forwarded-For to believe.
#VOICE_TRUSTED_PROXIES=127.0.0.1

# Password of the admin account created on the first start (8-128 characters).
# Unset, a random one is printed once: journalctl -u voice_app | grep -A1 'first run'
#VOICE_ADMIN_PASSWORD=

# The data directory is /var/lib/voice_app (set by the unit, VOICE_DATA_DIR).
EOF
  put_file "$WORK/voice_app.env" "$ENV_FILE" 0640 "0:$gid"
  CONFIG_CHANGED=1
  say "wrote ${ENV_FILE#"$ROOT"}"
}

# The updater's settings: created once; --repo/--api update their line.
write_update_env() {
  if [ ! -e "$UPDATE_ENV" ]; then
    {
      echo "# Settings for update.sh (voice_app-update.service, voice_app-update.timer)."
      echo "# Variables of the same name in the environment override these."
      echo "# The GitHub repository whose latest release is installed:"
      if [ -n "$REPO" ]; then echo "VOICEAPP_REPO=$REPO"; else echo "#VOICEAPP_REPO=owner/name"; fi
      echo "# Releases API base (GitHub Enterprise or a mirror):"
      if [ "$API" != "$DEFAULT_API" ]; then echo "VOICEAPP_API=$API"; else echo "#VOICEAPP_API=$DEFAULT_API"; fi
      echo "# A token raises the API's rate limit:"
      echo "#GITHUB_TOKEN="
    } >"$WORK/update.env"
  else
    cp "$UPDATE_ENV" "$WORK/update.env"
    if [ -n "$ARG_REPO" ]; then set_env_line "$WORK/update.env" VOICEAPP_REPO "$ARG_REPO"; fi
    if [ -n "$ARG_API" ]; then set_env_line "$WORK/update.env" VOICEAPP_API "$ARG_API"; fi
  fi
  put_file "$WORK/update.env" "$UPDATE_ENV" 0600 0:0
  if [ "$PUT_CHANGED" = 1 ]; then say "wrote ${UPDATE_ENV#"$ROOT"}"; fi
}

# set_env_line FILE KEY VALUE: replaces KEY's line (or its commented sample), else appends one.
set_env_line() {
  local file=$1 key=$2 value=$3
  if grep -q "^#\{0,1\}$key=" "$file"; then
    awk -v k="$key" -v v="$value" 'BEGIN { done = 0 }
      $0 ~ "^#?" k "=" { if (!done) { print k "=" v; done = 1 }; next }
      { print }' "$file" >"$file.new"
    mv -f "$file.new" "$file"
  else
    printf '%s=%s\n' "$key" "$value" >>"$file"
  fi
}

ensure_user() {
  if ! getent passwd "$USER_NAME" >/dev/null; then
    local shell=/usr/sbin/nologin group=(--user-group)
    if [ ! -x "$shell" ] && [ -x /sbin/nologin ]; then shell=/sbin/nologin; fi
    if getent group "$USER_NAME" >/dev/null; then group=(--gid "$USER_NAME"); fi
    useradd --system "${group[@]}" --home-dir /var/lib/voice_app --no-create-home \
      --shell "$shell" --comment "voice-app server" "$USER_NAME"
    say "created system user $USER_NAME"
  fi
  VA_UID=$(getent passwd "$USER_NAME" | cut -d: -f3)
  VA_GID=$(getent group "$USER_NAME" | cut -d: -f3) || VA_GID=$(getent passwd "$USER_NAME" | cut -d: -f4)
  [[ $VA_UID =~ ^[0-9]+$ && $VA_GID =~ ^[0-9]+$ ]] || die "cannot read the ids of user $USER_NAME"
}

# Sets RELEASE_NAME: the release under releases/ with the tarball's hash
# (TARBALL's, or the latest's), else that tarball unpacked (downloaded first).
install_release() {
  local sha=$TARBALL_SHA what=${TARBALL##*/}
  if [ -z "$TARBALL" ]; then
    fetch_latest
    sha=$LATEST_SHA what="$LATEST_FILE ($LATEST_TAG)"
  fi
  RELEASE_NAME=$(installed_release_with "$sha")
  if [ -n "$RELEASE_NAME" ]; then
    say "$what is unpacked already: $RELEASE_NAME"
    verify_release "$RELEASES/$RELEASE_NAME"
  elif [ -n "$TARBALL" ]; then
    unpack_release "$TARBALL" "$TARBALL_SHA" "$(basename "$TARBALL")"
  else
    download_latest
    unpack_release "$DOWNLOADED" "$LATEST_SHA" "$LATEST_FILE"
  fi
}

enable_units() {
  if ! systemctl is-enabled --quiet "$SERVICE"; then
    systemctl enable "$SERVICE"
  fi
  if [ "$ENABLE_UPDATES" = 1 ]; then
    if [ -z "$REPO" ]; then warn "the update timer has no repository to update from: set VOICEAPP_REPO in ${UPDATE_ENV#"$ROOT"}"; fi
    if ! systemctl is-enabled --quiet "$TIMER"; then systemctl enable "$TIMER"; fi
    if ! systemctl is-active --quiet "$TIMER"; then systemctl start "$TIMER"; fi
  fi
}

summary() {
  local version shown_host updates udp rtc_min rtc_max
  rtc_min=$(read_env_value "$ENV_FILE" VOICE_RTC_PORT_MIN)
  rtc_max=$(read_env_value "$ENV_FILE" VOICE_RTC_PORT_MAX)
  if [ -n "$rtc_min" ] && [ -n "$rtc_max" ]; then
    udp="UDP $rtc_min-$rtc_max for voice (WebRTC)"
  else
    udp="UDP: any port (set VOICE_RTC_PORT_MIN/MAX to open a fixed range)"
  fi
  version=$(tr -d '[:space:]' <"$CURRENT/VERSION")
  # Where the health check found it (wait_healthy).
  case $LISTEN_HOST in
    0.0.0.0 | ::) shown_host=$(hostname -f 2>/dev/null || hostname) ;;
    *) shown_host=$LISTEN_HOST ;;
  esac
  case $shown_host in *:*) shown_host="[$shown_host]" ;; esac
  if systemctl is-enabled --quiet "$TIMER"; then
    updates="daily (voice_app-update.timer)"
  else
    updates="off; to update daily: systemctl enable --now voice_app-update.timer"
  fi
  cat <<EOF

voice-app $version is running as voice_app.service.
  Open:     http://$shown_host:$LISTEN_PORT/  (microphones need HTTPS except on localhost:
            put a reverse proxy with TLS in front, README.md "Deploy")
  Admin:    the first start prints a generated password for the account "admin" once:
              journalctl -u voice_app | grep -A1 'first run'
  Settings: ${ENV_FILE#"$ROOT"}  (then: systemctl restart voice_app)
  Data:     ${DATA#"$ROOT"}
  Ports:    TCP $LISTEN_PORT (page, API, WebSocket); $udp
  Updates:  $updates
  Logs:     journalctl -u voice_app -f
EOF
}

main() {
  parse_args "$@"
  require_root
  require_systemd
  if [ -n "$TARBALL" ]; then
    [ -f "$TARBALL" ] || die "no such file: $TARBALL"
    case $TARBALL in *.tar.gz) ;; *) die "expected a release tarball (voice-app-<version>-linux-<arch>.tar.gz), got $TARBALL" ;; esac
  fi
  need sha256sum tar
  # The tarball is checked before anything is written.
  if [ -n "$TARBALL" ]; then
    TARBALL_SHA=$(sha256_of "$TARBALL")
    if [ -f "$TARBALL.sha256" ]; then
      local listed
      listed=$(read_sha256_file "$TARBALL.sha256" "$(basename "$TARBALL")") || exit 1
      [ "$listed" = "$TARBALL_SHA" ] || die "checksum mismatch: $TARBALL.sha256 says $listed, the file's is $TARBALL_SHA; nothing installed"
    else
      warn "no $TARBALL.sha256 beside the tarball: only the files inside are checked (SHA256SUMS)"
    fi
  fi
  load_update_settings
  REPO=${ARG_REPO:-$REPO}
  API=${ARG_API:-$API}
  if [ -z "$TARBALL" ] && [ -z "$REPO" ]; then
    die "give a release tarball, or --repo owner/name to download the latest release"
  fi

  ensure_dir "$OPT" 0755 0:0
  ensure_dir "$RELEASES" 0755 0:0
  take_lock
  # The release is verified (SHA256SUMS) before anything else is set up: a refused one leaves no account behind.
  install_release
  ensure_user

  ensure_dir "$DATA" 0750 "$VA_UID:$VA_GID"
  ensure_dir "$ETC" 0750 "0:$VA_GID"
  write_env_file "$VA_GID"
  write_update_env

  switch_release "$RELEASE_NAME"
  install_units "$RELEASES/$RELEASE_NAME/deploy/systemd"
  enable_units
  local restart=0
  if [ "$SWITCHED" = 1 ] || [ "$SERVICE_UNIT_CHANGED" = 1 ] || [ "$CONFIG_CHANGED" = 1 ]; then restart=1; fi
  start_service "$restart"
  check_or_rollback "$RELEASE_NAME"
  summary
}

main "$@"
