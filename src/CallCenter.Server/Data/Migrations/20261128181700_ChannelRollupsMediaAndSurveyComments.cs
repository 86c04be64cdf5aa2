using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class ChannelRollupsMediaAndSurveyComments : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "comment_recording_sid",
                table: "surveys",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "channel_timeliness_rollups",
                columns: table => new
                {
                    interval_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    channel = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    answered_on_time = table.Column<int>(type: "integer", nullable: false),
                    answered_late = table.Column<int>(type: "integer", nullable: false),
                    open_due_at = table.Column<DateTimeOffset[]>(type: "timestamp with time zone[]", nullable: false),
                    definition = table.Column<string>(type: "text", nullable: false),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_channel_timeliness_rollups", x => new { x.interval_start, x.channel });
                });

            migrationBuilder.CreateTable(
                name: "satisfaction_interval_rollups",
                columns: table => new
                {
                    interval_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    channel = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    queue = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    agent = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    policy_version = table.Column<int>(type: "integer", nullable: false),
                    surveyed = table.Column<int>(type: "integer", nullable: false),
                    satisfied = table.Column<int>(type: "integer", nullable: false),
                    definition = table.Column<string>(type: "text", nullable: false),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_satisfaction_interval_rollups", x => new { x.interval_start, x.channel, x.queue, x.agent, x.policy_version });
                });

            migrationBuilder.CreateTable(
                name: "service_request_media",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    request_id = table.Column<long>(type: "bigint", nullable: false),
                    message_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    media_index = table.Column<int>(type: "integer", nullable: false),
                    account_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    media_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    content_type = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    received_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    retain_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    lease_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    bytes = table.Column<long>(type: "bigint", nullable: true),
                    sha256 = table.Column<byte[]>(type: "bytea", nullable: true),
                    storage_key = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    key_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    wrapped_key = table.Column<byte[]>(type: "bytea", nullable: true),
                    stored_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_service_request_media", x => x.id);
                    table.ForeignKey(
                        name: "fk_service_request_media_service_requests_request_id",
                        column: x => x.request_id,
                        principalTable: "service_requests",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_surveys_sent_at",
                table: "surveys",
                column: "sent_at");

            migrationBuilder.CreateIndex(
                name: "ix_service_request_media_message_sid_media_index",
                table: "service_request_media",
                columns: new[] { "message_sid", "media_index" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_service_request_media_next_attempt_at",
                table: "service_request_media",
                column: "next_attempt_at",
                filter: "state = 'pending'");

            migrationBuilder.CreateIndex(
                name: "ix_service_request_media_request_id",
                table: "service_request_media",
                column: "request_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "channel_timeliness_rollups");

            migrationBuilder.DropTable(
                name: "satisfaction_interval_rollups");

            migrationBuilder.DropTable(
                name: "service_request_media");

            migrationBuilder.DropIndex(
                name: "ix_surveys_sent_at",
                table: "surveys");

            migrationBuilder.DropColumn(
                name: "comment_recording_sid",
                table: "surveys");
        }
    }
}
