# Shared by the backup scripts. Settings come from the environment (or /etc/callcenter/backup.env, which the
# scripts source when present); nothing secret lives in the repository.
#   CALLCENTER_BACKUP_DIR       first location (e.g. /var/backups/callcenter), holds base/ and wal/
#   CALLCENTER_BACKUP_COPY_DIR  second location, off-site (another volume, an NFS or object-store mount); optional
#                               for drills, required for production (the scripts refuse without it unless
#                               CALLCENTER_BACKUP_SINGLE_LOCATION=1)
#   CALLCENTER_BACKUP_KEY_FILE  passphrase file (mode 400, owned by postgres); AES-256 via openssl, PBKDF2-derived key
set -euo pipefail
# The environment wins: the env file is read only when the caller set nothing (cron, archive_command).
if [ -z "${CALLCENTER_BACKUP_DIR:-}" ] && [ -r /etc/callcenter/backup.env ]; then . /etc/callcenter/backup.env; fi

: "${CALLCENTER_BACKUP_DIR:?CALLCENTER_BACKUP_DIR is not set}"
: "${CALLCENTER_BACKUP_KEY_FILE:?CALLCENTER_BACKUP_KEY_FILE is not set}"
[ -r "$CALLCENTER_BACKUP_KEY_FILE" ] || { echo "backup: key file $CALLCENTER_BACKUP_KEY_FILE is not readable" >&2; exit 1; }
COPY_DIR="${CALLCENTER_BACKUP_COPY_DIR:-}"
if [ -z "$COPY_DIR" ] && [ "${CALLCENTER_BACKUP_SINGLE_LOCATION:-0}" != 1 ]; then
  echo "backup: CALLCENTER_BACKUP_COPY_DIR (the second location) is not set" >&2; exit 1
fi

encrypt() { openssl enc -aes-256-cbc -pbkdf2 -iter 100000 -salt -pass "file:$CALLCENTER_BACKUP_KEY_FILE" -in "$1" -out "$2"; }
decrypt() { openssl enc -d -aes-256-cbc -pbkdf2 -iter 100000 -pass "file:$CALLCENTER_BACKUP_KEY_FILE" -in "$1" -out "$2"; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Copies a file to the same relative place in the second location: temp name, fsync, rename.
replicate() {
  local rel="$1"
  [ -n "$COPY_DIR" ] || return 0
  mkdir -p "$(dirname "$COPY_DIR/$rel")"
  cp "$CALLCENTER_BACKUP_DIR/$rel" "$COPY_DIR/$rel.tmp"
  sync "$COPY_DIR/$rel.tmp"
  mv -f "$COPY_DIR/$rel.tmp" "$COPY_DIR/$rel"
}
