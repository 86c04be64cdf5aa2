#!/usr/bin/env bash
# restore_command: wal-restore.sh %f %p — decrypts one archived WAL file from the first location, or the second
# when the first lacks it or its checksum is wrong. Exit 1 when neither has it: PostgreSQL takes that as the end of
# the archive, and a recovery that has not reached its target by then fails (recovery_target_time).
source "$(dirname "$0")/backup-common.sh"
name="$1"; dest="$2"
for dir in "$CALLCENTER_BACKUP_DIR" ${COPY_DIR:+"$COPY_DIR"}; do
  file="$dir/wal/$name.enc"
  [ -r "$file" ] || continue
  if [ -r "$file.sha256" ] && [ "$(sha256_of "$file")" != "$(cat "$file.sha256")" ]; then
    echo "wal-restore: $file fails its SHA-256; trying the other location" >&2
    continue
  fi
  decrypt "$file" "$dest.tmp" && mv "$dest.tmp" "$dest" && exit 0
done
# History files (*.history) are asked for speculatively; only a missing segment is worth a log line.
case "$name" in *.history) ;; *) echo "wal-restore: $name is in no backup location" >&2 ;; esac
exit 1
