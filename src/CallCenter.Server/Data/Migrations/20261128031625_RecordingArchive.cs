using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class RecordingArchive : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "archive_jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    recording_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    account_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    recording_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    duration_seconds = table.Column<int>(type: "integer", nullable: false),
                    channels = table.Column<int>(type: "integer", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    lease_token = table.Column<Guid>(type: "uuid", nullable: true),
                    lease_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "text", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_archive_jobs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "archived_recordings",
                columns: table => new
                {
                    archive_number = table.Column<long>(type: "bigint", nullable: false),
                    recording_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    agent = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    queue = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    category = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    call_started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    duration_seconds = table.Column<int>(type: "integer", nullable: false),
                    channels = table.Column<int>(type: "integer", nullable: false),
                    size_bytes = table.Column<long>(type: "bigint", nullable: false),
                    stored_bytes = table.Column<long>(type: "bigint", nullable: false),
                    sha256 = table.Column<byte[]>(type: "bytea", nullable: false),
                    key_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    wrapped_data_key = table.Column<byte[]>(type: "bytea", nullable: true),
                    storage_key = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    retention_rule = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    retain_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    archived_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    destroyed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    destroyed_under = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_archived_recordings", x => x.archive_number);
                });

            migrationBuilder.CreateTable(
                name: "legal_holds",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    placed_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    placed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    released_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    released_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_legal_holds", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "recording_access_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    work_number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    role = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    action = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    archive_number = table.Column<long>(type: "bigint", nullable: true),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    result = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    remote_address = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    user_agent = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true),
                    details = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_recording_access_log", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "legal_hold_calls",
                columns: table => new
                {
                    hold_id = table.Column<long>(type: "bigint", nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_legal_hold_calls", x => new { x.hold_id, x.call_sid });
                    table.ForeignKey(
                        name: "fk_legal_hold_calls_legal_holds_hold_id",
                        column: x => x.hold_id,
                        principalTable: "legal_holds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_archive_jobs_next_attempt_at",
                table: "archive_jobs",
                column: "next_attempt_at",
                filter: "state <> 'done'");

            migrationBuilder.CreateIndex(
                name: "ix_archive_jobs_recording_sid",
                table: "archive_jobs",
                column: "recording_sid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_archived_recordings_call_sid",
                table: "archived_recordings",
                column: "call_sid");

            migrationBuilder.CreateIndex(
                name: "ix_archived_recordings_files_to_delete",
                table: "archived_recordings",
                column: "destroyed_at",
                filter: "destroyed_at IS NOT NULL AND storage_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_archived_recordings_live_retain_until",
                table: "archived_recordings",
                column: "retain_until",
                filter: "destroyed_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_archived_recordings_recording_sid",
                table: "archived_recordings",
                column: "recording_sid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_legal_hold_calls_call_sid",
                table: "legal_hold_calls",
                column: "call_sid");

            migrationBuilder.CreateIndex(
                name: "ix_recording_access_log_archive_number",
                table: "recording_access_log",
                column: "archive_number");

            migrationBuilder.CreateIndex(
                name: "ix_recording_access_log_occurred_at",
                table: "recording_access_log",
                column: "occurred_at");

            // The catalogue is the archive's register: a destroyed recording stays as a tombstone row, so the
            // database refuses to delete rows outright.
            migrationBuilder.Sql("""
                CREATE FUNCTION archived_recordings_keep_rows() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'archived_recordings keeps every row (tombstones included): % refused', TG_OP;
                END $$;
                CREATE TRIGGER archived_recordings_no_delete
                    BEFORE DELETE OR TRUNCATE ON archived_recordings
                    FOR EACH STATEMENT EXECUTE FUNCTION archived_recordings_keep_rows();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER archived_recordings_no_delete ON archived_recordings;
                DROP FUNCTION archived_recordings_keep_rows();
                """);

            migrationBuilder.DropTable(
                name: "archive_jobs");

            migrationBuilder.DropTable(
                name: "archived_recordings");

            migrationBuilder.DropTable(
                name: "legal_hold_calls");

            migrationBuilder.DropTable(
                name: "recording_access_log");

            migrationBuilder.DropTable(
                name: "legal_holds");
        }
    }
}
