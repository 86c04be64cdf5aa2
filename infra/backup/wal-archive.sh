#!/usr/bin/env bash
# archive_command: wal-archive.sh %p %f — encrypts one WAL file into $CALLCENTER_BACKUP_DIR/wal/%f.enc (+ .sha256)
# and copies both to the second location. Exit 0 only when both copies are durable; otherwise PostgreSQL keeps
# the segment and retries. An existing archive of the same name is never overwritten (a second primary writing
# into the same archive would otherwise corrupt it); an identical one is accepted (a retry after a crash).
source "$(dirname "$0")/backup-common.sh"
src="$1"; name="$2"
mkdir -p "$CALLCENTER_BACKUP_DIR/wal"
target="$CALLCENTER_BACKUP_DIR/wal/$name.enc"
sum=$(sha256_of "$src")
if [ -e "$target" ]; then
  tmp=$(mktemp)
  trap 'rm -f "$tmp"' EXIT
  decrypt "$target" "$tmp"
  if [ "$(sha256_of "$tmp")" = "$sum" ]; then replicate "wal/$name.enc"; replicate "wal/$name.enc.sha256"; exit 0; fi
  echo "wal-archive: $target exists with different content; refusing to overwrite" >&2
  exit 1
fi
encrypt "$src" "$target.tmp"
sync "$target.tmp"
sha256_of "$target.tmp" >"$target.sha256"
mv "$target.tmp" "$target"
sync "$CALLCENTER_BACKUP_DIR/wal"
replicate "wal/$name.enc.sha256"
replicate "wal/$name.enc"
