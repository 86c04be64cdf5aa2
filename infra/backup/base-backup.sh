#!/usr/bin/env bash
# A full base backup: pg_basebackup (tar, gzip, SHA-256 manifest) encrypted into
# $CALLCENTER_BACKUP_DIR/base/<UTC stamp>/, described by backup.info, copied to the second location, then old
# backups and the WAL only they needed are pruned (CALLCENTER_BACKUP_KEEP full backups, default 14 = two weeks at
# one a night). Run at least weekly (requirements: full backup every 7 days); see crontab.example.
# Connection: the usual libpq variables (PGHOST, PGPORT, PGUSER), a role with REPLICATION.
source "$(dirname "$0")/backup-common.sh"
PG_BIN="${CALLCENTER_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
keep="${CALLCENTER_BACKUP_KEEP:-14}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
rel="base/$stamp"
work=$(mktemp -d "${TMPDIR:-/tmp}/callcenter-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$PG_BIN/pg_basebackup" -D "$work" -Ft -z -X none --checkpoint=fast --manifest-checksums=SHA256 -l "callcenter $stamp"
finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
mkdir -p "$CALLCENTER_BACKUP_DIR/$rel.tmp"
files=""
for f in base.tar.gz backup_manifest; do
  encrypt "$work/$f" "$CALLCENTER_BACKUP_DIR/$rel.tmp/$f.enc"
  files="$files${files:+,}\"$f.enc\":\"$(sha256_of "$CALLCENTER_BACKUP_DIR/$rel.tmp/$f.enc")\""
done
# The WAL file name of the backup's start point: WAL before it is needed by no newer backup.
start_wal=$(tar -xzOf "$work/base.tar.gz" backup_label | sed -n 's/^START WAL LOCATION: .* (file \(.*\))$/\1/p')
cat >"$CALLCENTER_BACKUP_DIR/$rel.tmp/backup.info" <<INFO
{"label":"callcenter $stamp","startedAt":"$started","finishedAt":"$finished","startWal":"$start_wal","files":{$files}}
INFO
sync "$CALLCENTER_BACKUP_DIR/$rel.tmp"/*
mv "$CALLCENTER_BACKUP_DIR/$rel.tmp" "$CALLCENTER_BACKUP_DIR/$rel"
for f in base.tar.gz.enc backup_manifest.enc backup.info; do replicate "$rel/$f"; done
echo "base backup $rel (start WAL $start_wal) written to $CALLCENTER_BACKUP_DIR${COPY_DIR:+ and $COPY_DIR}"

# Retention: keep the newest $keep backups and every WAL file from the oldest kept backup's start onwards.
for dir in "$CALLCENTER_BACKUP_DIR" ${COPY_DIR:+"$COPY_DIR"}; do
  mapfile -t old < <(ls -1d "$dir"/base/*/ 2>/dev/null | sort | head -n -"$keep")
  for b in "${old[@]}"; do rm -rf "$b"; done
  oldest=$(ls -1d "$dir"/base/*/ 2>/dev/null | sort | head -n 1)
  if [ -n "$oldest" ] && [ -r "$oldest/backup.info" ]; then
    first=$(sed -n 's/.*"startWal":"\([0-9A-F]*\)".*/\1/p' "$oldest/backup.info")
    [ -n "$first" ] && "$PG_BIN/pg_archivecleanup" -x .enc "$dir/wal" "$first" && "$PG_BIN/pg_archivecleanup" -x .enc.sha256 "$dir/wal" "$first"
  fi
done
