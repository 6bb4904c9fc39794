# shellcheck shell=bash
# Globals set here are read by the scripts that source this file:
# shellcheck disable=SC2034
# Shared by install.sh and update.sh, which source it from their own directory.
# Not meant to be run on its own.
#
# Layout (every path is prefixed by $VOICEAPP_ROOT, empty on a real system; the
# tests point it at a sandbox):
#   /opt/voice_app/releases/<dir>/          one unpacked release per directory,
#                                           <dir> = <tarball name>-<its sha256's first 12 digits>
#   /opt/voice_app/releases/<dir>.sha256    sha256 of the tarball it came from
#   /opt/voice_app/current  -> releases/<dir>   what the service runs
#   /opt/voice_app/previous -> releases/<dir>   the one before, for rollback
#   /opt/voice_app/failed-release           hash of a release that failed health (not retried)
#   /opt/voice_app/.lock, .tmp/             run lock, scratch space (same file system)
#   /var/lib/voice_app                      data (StateDirectory), voiceapp 0750
#   /etc/voice_app/voice_app.env            server settings (VOICE_*), root:voiceapp 0640
#   /etc/voice_app/update.env               updater settings (VOICEAPP_*), root 0600
#   /etc/systemd/system/voice_app{,-update}.service, voice_app-update.timer

# PROG (for messages) and SCRIPT_DIR are set by the script that sources this file.
ROOT=${VOICEAPP_ROOT:-}
case $ROOT in '' | /*) ;; *) printf '%s: error: VOICEAPP_ROOT must be an absolute path\n' "$PROG" >&2; exit 1 ;; esac
ROOT=${ROOT%/}

OPT=$ROOT/opt/voice_app
RELEASES=$OPT/releases
CURRENT=$OPT/current
PREVIOUS=$OPT/previous
FAILED=$OPT/failed-release
SCRATCH=$OPT/.tmp
LOCK=$OPT/.lock
DATA=$ROOT/var/lib/voice_app
ETC=$ROOT/etc/voice_app
ENV_FILE=$ETC/voice_app.env
UPDATE_ENV=$ETC/update.env
UNIT_DIR=$ROOT/etc/systemd/system
SERVICE=voice_app.service
TIMER=voice_app-update.timer
UNITS=(voice_app.service voice_app-update.service voice_app-update.timer)
USER_NAME=voiceapp
DEFAULT_API=https://api.github.com
HEALTH_TIMEOUT=${VOICEAPP_HEALTH_TIMEOUT:-60}
case $HEALTH_TIMEOUT in '' | *[!0-9]*) HEALTH_TIMEOUT=60 ;; esac

# Files are created with predictable modes; each one that matters is set explicitly anyway.
umask 022

say() { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() {
  printf '%s: error: %s\n' "$PROG" "$*" >&2
  exit 1
}

# Temporary files and directories, removed when the script exits however it exits.
CLEANUP=()
cleanup() {
  if [ "${#CLEANUP[@]}" -gt 0 ]; then rm -rf -- "${CLEANUP[@]}"; fi
}
trap cleanup EXIT
WORK=$(mktemp -d "${TMPDIR:-/tmp}/voice_app.XXXXXX")
CLEANUP+=("$WORK")

require_root() {
  if [ "$(id -u)" != 0 ]; then
    die "must be run as root (try: sudo $0 ...)"
  fi
}

# The same test as sd_booted(): systemd is PID 1 when /run/systemd/system is a directory.
require_systemd() {
  local docker="Without systemd, run the Docker image instead (README.md, Deploy)."
  if [ ! -d "$ROOT/run/systemd/system" ]; then
    die "systemd is not running as PID 1 (no /run/systemd/system): this installer needs systemd. $docker"
  fi
  if ! command -v systemctl >/dev/null 2>&1 || ! systemctl --version >/dev/null 2>&1; then
    die "systemctl does not work here: this installer needs systemd. $docker"
  fi
}

need() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null 2>&1 || die "$cmd is needed but not installed (e.g. apt-get install $cmd)"
  done
}

# Takes the lock that keeps install.sh and update.sh runs from interleaving.
take_lock() {
  need flock
  # Append mode: opening the lock file never changes it.
  exec 9>>"$LOCK"
  flock -n 9 || die "another install.sh or update.sh is running (lock: $LOCK)"
  # Downloads and unpacked trees of a run that was killed (SIGKILL skips the
  # EXIT trap); only a run holding the lock uses the scratch directory.
  if [ -d "$SCRATCH" ]; then find "$SCRATCH" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +; fi
}

# Sets owner (uid:gid, numeric) and mode only where they differ.
ensure_attrs() {
  local path=$1 mode=$2 owner=$3
  if [ "$(stat -c %u:%g "$path")" != "$owner" ]; then chown "$owner" "$path"; fi
  if [ "$((8#$(stat -c %a "$path")))" != "$((8#$mode))" ]; then chmod "$mode" "$path"; fi
}

ensure_dir() {
  if [ ! -d "$1" ]; then mkdir -p "$1"; fi
  ensure_attrs "$@"
}

# put_file SRC DEST MODE OWNER: DEST gets SRC's content unless it has it already
# (then nothing is written, not even a temporary file next to it). Sets
# PUT_CHANGED to 1 when the content was written, else 0.
PUT_CHANGED=0
put_file() {
  local src=$1 dest=$2 mode=$3 owner=$4 tmp
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$src" "$dest"; then
    ensure_attrs "$dest" "$mode" "$owner"
    PUT_CHANGED=0
    return 0
  fi
  tmp=$(mktemp "$dest.XXXXXX")
  CLEANUP+=("$tmp")
  cat "$src" >"$tmp"
  chown "$owner" "$tmp"
  chmod "$mode" "$tmp"
  mv -fT "$tmp" "$dest"
  PUT_CHANGED=1
}

# set_link LINK TARGET: atomically points LINK at TARGET (a temporary link renamed over it).
set_link() {
  local link=$1 target=$2
  if [ "$(readlink "$link" 2>/dev/null || true)" = "$target" ]; then return 0; fi
  rm -f "$link.new"
  ln -s "$target" "$link.new"
  mv -fT "$link.new" "$link"
}

# Name of the release a link (current/previous) points at, or nothing.
link_name() {
  local target
  target=$(readlink "$1" 2>/dev/null || true)
  printf '%s' "${target##*/}"
}

# Recorded tarball hash of an installed release, or nothing.
installed_hash() {
  local file=$RELEASES/$1.sha256
  if [ -n "$1" ] && [ -f "$file" ]; then cut -d' ' -f1 "$file"; fi
}

sha256_of() {
  sha256sum "$1" | cut -d' ' -f1
}

# read_sha256_file FILE NAME [SHOWN]: the SHA-256 (lower case) that FILE, in
# sha256sum's format, gives for NAME: "<64 hex digits>  NAME" ("*NAME" in
# binary mode) or the digits alone. Anything else, or the sum of another file,
# is an error. SHOWN names FILE in messages.
read_sha256_file() {
  local file=$1 name=$2 shown=${3:-$1} sha='' listed=''
  read -r sha listed <"$file" || true
  sha=$(printf '%s' "$sha" | tr 'A-F' 'a-f')
  [[ $sha =~ ^[0-9a-f]{64}$ ]] || die "$shown does not hold a SHA-256 sum"
  if [ -n "$listed" ] && [ "${listed#\*}" != "$name" ]; then
    die "$shown is the sum of ${listed#\*}, not of $name"
  fi
  printf '%s' "$sha"
}

# VALUE of the last KEY=VALUE line in an environment file (quotes stripped).
read_env_value() {
  local file=$1 key=$2 line value=''
  if [ ! -r "$file" ]; then return 0; fi
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in "$key="*) value=${line#*=} ;; esac
  done <"$file"
  value=${value%"${value##*[![:space:]]}"}
  case $value in
    \"*\") value=${value#\"} value=${value%\"} ;;
    \'*\') value=${value#\'} value=${value%\'} ;;
  esac
  printf '%s' "$value"
}

machine_arch() {
  local m
  m=$(uname -m)
  case $m in
    x86_64 | amd64) echo x64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "no voice-app release is built for this machine ($m); x86_64 and aarch64 are" ;;
  esac
}

# A Node to parse JSON with: the installed release's, the release this script
# came in, or one on PATH.
find_node() {
  local candidate
  for candidate in "$CURRENT/runtime/node" "$SCRIPT_DIR/../runtime/node"; do
    if [ -x "$candidate" ]; then
      printf '%s' "$candidate"
      return 0
    fi
  done
  command -v node 2>/dev/null || die "no Node.js to read the Releases API's answer with: install from a release tarball instead (install.sh voice-app-….tar.gz)"
}

# Checks an unpacked release: every file against its SHA256SUMS, the files the
# service needs, and that its Node runs on this machine.
verify_release() {
  local dir=$1 file
  [ -f "$dir/SHA256SUMS" ] || die "$dir has no SHA256SUMS: not a voice-app release"
  if ! (cd "$dir" && sha256sum --quiet --strict -c SHA256SUMS) >&2; then
    die "$dir: files do not match its SHA256SUMS"
  fi
  for file in VERSION bin/voice-app server/main.js server/healthcheck.js; do
    [ -f "$dir/$file" ] || die "$dir/$file is missing: not a voice-app release"
  done
  if [ -e "$dir/runtime/node" ] && ! "$dir/runtime/node" -e 0 >/dev/null 2>&1; then
    die "$dir/runtime/node does not run on this machine (built for another architecture?)"
  fi
}

# installed_release_with SHA: the name of the release under releases/ that
# was unpacked from a tarball with this hash, or nothing. The hash is a
# release's identity: both scripts ask this before they download or unpack.
installed_release_with() {
  local sha=$1 file name
  for file in "$RELEASES"/*.sha256; do
    name=${file##*/}
    name=${name%.sha256}
    if [ -d "$RELEASES/$name" ] && [ "$(installed_hash "$name")" = "$sha" ]; then
      printf '%s' "$name"
      return 0
    fi
  done
  return 0
}

# unpack_release TARBALL SHA256 FILENAME: unpacks a release that is not
# installed yet (installed_release_with) to releases/<name>-<first 12 digits
# of SHA256>, so that two tarballs of one name (a rebuild) never share a
# directory. Sets RELEASE_NAME.
RELEASE_NAME=''
unpack_release() {
  local tarball=$1 sha=$2 file=$3 name dir extract top
  name=${file%.tar.gz}
  [[ $name =~ ^voice-app-[A-Za-z0-9._+-]+$ ]] || die "unexpected release file name: $file"
  name=$name-${sha:0:12}
  dir=$RELEASES/$name
  say "unpacking $file"
  ensure_dir "$SCRATCH" 0700 0:0
  extract=$(mktemp -d "$SCRATCH/extract.XXXXXX")
  CLEANUP+=("$extract")
  tar -xzf "$tarball" -C "$extract" --no-same-owner || die "cannot unpack $file"
  top=$(find "$extract" -mindepth 1 -maxdepth 1 -printf '%f\n')
  if [ -z "$top" ] || [ "$(printf '%s\n' "$top" | wc -l)" != 1 ] || [ ! -d "$extract/$top" ] || [ -L "$extract/$top" ]; then
    die "$file does not hold exactly one top-level directory"
  fi
  verify_release "$extract/$top"
  chmod 0755 "$extract/$top"
  # A directory without a recorded hash is left over from an interrupted run.
  if [ -e "$dir" ]; then rm -rf -- "$dir"; fi
  mv -T "$extract/$top" "$dir"
  printf '%s  %s\n' "$sha" "$file" >"$WORK/sha256"
  put_file "$WORK/sha256" "$dir.sha256" 0644 0:0
  RELEASE_NAME=$name
}

# switch_release NAME: current -> NAME, previous -> what current was. Sets
# SWITCHED (1 when current changed) and, for a rollback, OLD_NAME/OLD_PREVIOUS.
SWITCHED=0
OLD_NAME=''
OLD_PREVIOUS=''
switch_release() {
  local name=$1
  OLD_NAME=$(link_name "$CURRENT")
  OLD_PREVIOUS=$(link_name "$PREVIOUS")
  SWITCHED=0
  if [ "$OLD_NAME" = "$name" ]; then return 0; fi
  # previous first: a run killed between the two renames leaves current on the
  # release that runs (and previous too), not a current nobody started and a
  # previous that no longer names the running release.
  if [ -n "$OLD_NAME" ] && [ -d "$RELEASES/$OLD_NAME" ]; then set_link "$PREVIOUS" "releases/$OLD_NAME"; fi
  set_link "$CURRENT" "releases/$name"
  SWITCHED=1
  say "current release: $name${OLD_NAME:+ (was $OLD_NAME)}"
}

# install_units DIR: copies the three unit files from DIR where they differ;
# daemon-reload only when one changed. Sets SERVICE_UNIT_CHANGED.
SERVICE_UNIT_CHANGED=0
install_units() {
  local src=$1 unit changed=0
  if [ ! -d "$UNIT_DIR" ]; then mkdir -p "$UNIT_DIR"; fi
  SERVICE_UNIT_CHANGED=0
  for unit in "${UNITS[@]}"; do
    [ -f "$src/$unit" ] || die "$src/$unit is missing"
    put_file "$src/$unit" "$UNIT_DIR/$unit" 0644 0:0
    if [ "$PUT_CHANGED" = 1 ]; then
      changed=1
      say "installed $UNIT_DIR/$unit"
      if [ "$unit" = "$SERVICE" ]; then SERVICE_UNIT_CHANGED=1; fi
    fi
  done
  if [ "$changed" = 1 ]; then systemctl daemon-reload; fi
}

# Where the service listens, as systemd starts it: VOICE_HOST and VOICE_PORT
# from the unit's Environment= (drop-ins included), overridden by its
# EnvironmentFile= files in their order (voice_app.env, and any a drop-in
# adds), the way systemd builds the environment. Sets LISTEN_HOST and
# LISTEN_PORT (the server's defaults, config.ts, when unset).
LISTEN_HOST=0.0.0.0
LISTEN_PORT=8080
service_address() {
  local shown words word files line value host='' port=''
  # One line, the assignments separated by blanks (an address or a port has none).
  shown=$(systemctl show -p Environment --value "$SERVICE") || die "cannot read the environment of $SERVICE (systemctl show)"
  read -ra words <<<"$shown"
  for word in "${words[@]}"; do
    case $word in
      VOICE_HOST=*) host=${word#*=} ;;
      VOICE_PORT=*) port=${word#*=} ;;
    esac
  done
  # One line per file: "PATH (ignore_errors=yes|no)".
  files=$(systemctl show -p EnvironmentFiles --value "$SERVICE") || die "cannot read the environment files of $SERVICE (systemctl show)"
  while IFS= read -r line; do
    line=${line% (ignore_errors=*)}
    if [ -z "$line" ]; then continue; fi
    value=$(read_env_value "$ROOT$line" VOICE_HOST)
    if [ -n "$value" ]; then host=$value; fi
    value=$(read_env_value "$ROOT$line" VOICE_PORT)
    if [ -n "$value" ]; then port=$value; fi
  done <<<"$files"
  LISTEN_HOST=${host:-0.0.0.0}
  LISTEN_PORT=${port:-8080}
}

# wait_healthy DIR: waits up to HEALTH_TIMEOUT seconds for the service to
# answer /health with the version of the release in DIR (so an old process
# still answering does not count), asking with that release's own
# server/healthcheck.js. Sets HEALTH_ERROR when it does not.
HEALTH_ERROR=''
wait_healthy() {
  local dir=$1 want node deadline
  want=$(tr -d '[:space:]' <"$dir/VERSION")
  node=$dir/runtime/node
  if [ ! -x "$node" ]; then node=$(find_node); fi
  service_address
  say "waiting for $SERVICE to answer as $want on $LISTEN_HOST:$LISTEN_PORT (up to ${HEALTH_TIMEOUT} s)"
  deadline=$((SECONDS + HEALTH_TIMEOUT))
  HEALTH_ERROR=''
  while :; do
    # Only the address goes into its environment: the server's settings refuse an unknown VOICE_*.
    if env -i PATH="$PATH" VOICE_HOST="$LISTEN_HOST" VOICE_PORT="$LISTEN_PORT" \
      "$node" "$dir/server/healthcheck.js" --expect-version "$want" 2>"$WORK/health"; then
      return 0
    fi
    HEALTH_ERROR=$(tail -n 1 "$WORK/health")
    HEALTH_ERROR=${HEALTH_ERROR#voice-app healthcheck: }
    if systemctl is-failed --quiet "$SERVICE"; then
      HEALTH_ERROR="$SERVICE failed ($HEALTH_ERROR)"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      HEALTH_ERROR="no healthy answer within ${HEALTH_TIMEOUT} s ($HEALTH_ERROR)"
      return 1
    fi
    sleep 1
  done
}

# Restarts the service (or starts it when it is not running and nothing
# changed). A start job that fails is not fatal here: the health check after it
# sees the failed unit and rolls back.
start_service() {
  local restart=$1
  if [ "$restart" = 1 ]; then
    say "restarting $SERVICE"
    systemctl restart "$SERVICE" || warn "systemctl restart $SERVICE failed"
  elif ! systemctl is-active --quiet "$SERVICE"; then
    say "starting $SERVICE"
    systemctl start "$SERVICE" || warn "systemctl start $SERVICE failed"
  fi
}

# After a switch: waits for health; when it does not come, goes back to the
# release that ran before (if any), forgets the failed one and fails.
check_or_rollback() {
  local name=$1 failed_sha
  if wait_healthy "$RELEASES/$name"; then
    prune_releases
    return 0
  fi
  if [ "$SWITCHED" != 1 ] || [ -z "$OLD_NAME" ] || [ ! -d "$RELEASES/$OLD_NAME" ]; then
    die "$SERVICE is not healthy: $HEALTH_ERROR. See: journalctl -u voice_app"
  fi
  warn "$name is not healthy: $HEALTH_ERROR; rolling back to $OLD_NAME"
  # Recorded first, so that whatever fails below, the daily update does not try it again.
  failed_sha=$(installed_hash "$name")
  printf '%s  %s  %s\n' "$failed_sha" "$name" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$WORK/failed"
  put_file "$WORK/failed" "$FAILED" 0644 0:0
  set_link "$CURRENT" "releases/$OLD_NAME"
  # previous was the failed release itself when it was activated from there: it goes below.
  if [ -n "$OLD_PREVIOUS" ] && [ "$OLD_PREVIOUS" != "$name" ] && [ -d "$RELEASES/$OLD_PREVIOUS" ]; then
    set_link "$PREVIOUS" "releases/$OLD_PREVIOUS"
  else
    rm -f "$PREVIOUS"
  fi
  install_units "$RELEASES/$OLD_NAME/deploy/systemd"
  # A failed restart is reported by the health check below.
  systemctl restart "$SERVICE" || warn "systemctl restart $SERVICE failed"
  rm -rf -- "${RELEASES:?}/$name" "$RELEASES/$name.sha256"
  if wait_healthy "$RELEASES/$OLD_NAME"; then
    die "rolled back to $OLD_NAME: $name did not become healthy. See: journalctl -u voice_app"
  fi
  die "rolled back to $OLD_NAME, but it is not healthy either: $HEALTH_ERROR. See: journalctl -u voice_app"
}

# Keeps the releases current and previous point at; removes the others.
prune_releases() {
  local keep_current keep_previous entry base
  keep_current=$(link_name "$CURRENT")
  keep_previous=$(link_name "$PREVIOUS")
  for entry in "$RELEASES"/*; do
    if [ ! -e "$entry" ] && [ ! -L "$entry" ]; then continue; fi
    base=${entry##*/}
    base=${base%.sha256}
    if [ "$base" = "$keep_current" ] || [ "$base" = "$keep_previous" ]; then continue; fi
    say "removing old release $base"
    rm -rf -- "$entry"
  done
  # A release that became healthy supersedes a recorded failure.
  if [ -f "$FAILED" ] && [ "$(cut -d' ' -f1 "$FAILED")" = "$(installed_hash "$keep_current")" ]; then rm -f "$FAILED"; fi
}

# ---- Releases API ----

# Updater settings: the environment wins over update.env. Sets REPO, API.
REPO=''
API=''
load_update_settings() {
  REPO=${VOICEAPP_REPO:-$(read_env_value "$UPDATE_ENV" VOICEAPP_REPO)}
  API=${VOICEAPP_API:-$(read_env_value "$UPDATE_ENV" VOICEAPP_API)}
  API=${API:-$DEFAULT_API}
  API=${API%/}
  if [ -z "${GITHUB_TOKEN:-}" ]; then
    GITHUB_TOKEN=$(read_env_value "$UPDATE_ENV" GITHUB_TOKEN)
  fi
}

valid_repo() {
  [[ $1 =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]
}

# curl for our downloads: http(s) only, redirects followed (GitHub's asset URLs redirect), retried.
fetch() {
  curl --fail --silent --show-error --location --proto '=http,https' --proto-redir '=http,https' \
    --retry 3 --connect-timeout 20 --max-time 900 "$@"
}

# Asks the API for the latest release; picks this machine's asset.
# argv: arch. Prints: tag, asset name, asset URL, digest hex (or empty), .sha256 asset URL (or empty).
PICK_JS=$(
  cat <<'EOF'
const arch = process.argv[1];
const fail = (m) => { process.stderr.write(m + '\n'); process.exit(3); };
let text = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => { text += d; });
process.stdin.on('end', () => {
  let r;
  try { r = JSON.parse(text); } catch { fail('the Releases API did not answer JSON'); }
  const tag = String(r.tag_name ?? '?').replace(/[^\w.+-]/g, '');
  const assets = Array.isArray(r.assets) ? r.assets : [];
  const re = new RegExp(`^voice-app-[A-Za-z0-9._+-]+-linux-${arch}\\.tar\\.gz$`);
  const hits = assets.filter((a) => typeof a?.name === 'string' && re.test(a.name));
  if (hits.length !== 1) fail(`release ${tag} has ${hits.length === 0 ? 'no' : 'more than one'} asset voice-app-*-linux-${arch}.tar.gz`);
  const asset = hits[0];
  const url = (u) => (typeof u === 'string' && /^https?:\/\/\S+$/.test(u) ? u : fail(`release ${tag}: bad download URL for ${asset.name}`));
  let digest = '';
  if (typeof asset.digest === 'string' && asset.digest.startsWith('sha256:')) {
    digest = asset.digest.slice(7).toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(digest)) fail(`release ${tag}: malformed digest for ${asset.name}`);
  }
  const sums = assets.find((a) => a?.name === `${asset.name}.sha256`);
  process.stdout.write([tag, asset.name, url(asset.browser_download_url), digest, sums ? url(sums.browser_download_url) : ''].join('\n') + '\n');
});
EOF
)

# Sets LATEST_TAG, LATEST_FILE, LATEST_URL, LATEST_SHA (agreed by the .sha256 asset and the digest).
LATEST_TAG=''
LATEST_FILE=''
LATEST_URL=''
LATEST_SHA=''
fetch_latest() {
  local node arch digest sums_url url
  need curl
  [ -n "$REPO" ] || die "no repository to update from: set VOICEAPP_REPO=owner/name in ${UPDATE_ENV#"$ROOT"} (or install.sh --repo owner/name)"
  valid_repo "$REPO" || die "VOICEAPP_REPO must look like owner/name, got \"$REPO\""
  arch=$(machine_arch)
  node=$(find_node)
  url=$API/repos/$REPO/releases/latest
  say "asking $url"
  local headers=(-H 'Accept: application/vnd.github+json' -H 'X-GitHub-Api-Version: 2022-11-28')
  # The token goes through curl's config on stdin, not the command line (visible in ps).
  if [ -n "${GITHUB_TOKEN:-}" ]; then
    printf 'header = "Authorization: Bearer %s"\n' "$GITHUB_TOKEN" | fetch --config - "${headers[@]}" -o "$WORK/latest.json" "$url" ||
      die "cannot read the latest release from $url"
  else
    fetch "${headers[@]}" -o "$WORK/latest.json" "$url" </dev/null || die "cannot read the latest release from $url"
  fi
  "$node" -e "$PICK_JS" "$arch" <"$WORK/latest.json" >"$WORK/pick" || die "cannot use the latest release of $REPO (see above)"
  {
    read -r LATEST_TAG
    read -r LATEST_FILE
    read -r LATEST_URL
    read -r digest
    read -r sums_url
  } <"$WORK/pick"
  LATEST_SHA=''
  if [ -n "$sums_url" ]; then
    fetch -o "$WORK/asset.sha256" "$sums_url" </dev/null || die "cannot download $LATEST_FILE.sha256"
    LATEST_SHA=$(read_sha256_file "$WORK/asset.sha256" "$LATEST_FILE" "$LATEST_FILE.sha256") || exit 1
  fi
  if [ -n "$digest" ]; then
    if [ -n "$LATEST_SHA" ] && [ "$digest" != "$LATEST_SHA" ]; then
      die "release $LATEST_TAG disagrees with itself: $LATEST_FILE.sha256 says $LATEST_SHA, the asset's digest says $digest; nothing changed"
    fi
    LATEST_SHA=$digest
  fi
  [ -n "$LATEST_SHA" ] || die "release $LATEST_TAG publishes no checksum for $LATEST_FILE (no $LATEST_FILE.sha256 asset, no digest)"
}

# Downloads the latest release's tarball into the scratch directory (same file
# system as releases/) and checks it against LATEST_SHA. Sets DOWNLOADED.
DOWNLOADED=''
download_latest() {
  local got
  ensure_dir "$SCRATCH" 0700 0:0
  DOWNLOADED=$(mktemp "$SCRATCH/download.XXXXXX")
  CLEANUP+=("$DOWNLOADED")
  say "downloading $LATEST_FILE ($LATEST_TAG)"
  fetch -o "$DOWNLOADED" "$LATEST_URL" </dev/null || die "cannot download $LATEST_URL"
  got=$(sha256_of "$DOWNLOADED")
  if [ "$got" != "$LATEST_SHA" ]; then
    rm -f -- "$DOWNLOADED"
    die "checksum mismatch for $LATEST_FILE: expected $LATEST_SHA, got $got; nothing changed"
  fi
}
