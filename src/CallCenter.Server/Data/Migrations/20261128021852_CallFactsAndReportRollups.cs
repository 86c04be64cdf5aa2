using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class CallFactsAndReportRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "abandon_rate",
                table: "queue_interval_rollups",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "answer_wait_seconds",
                table: "queue_interval_rollups",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "average_handle_time",
                table: "queue_interval_rollups",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "callbacks_requested",
                table: "queue_interval_rollups",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "longest_wait_seconds",
                table: "queue_interval_rollups",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<double>(
                name: "satisfaction_rate",
                table: "queue_interval_rollups",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "satisfied",
                table: "queue_interval_rollups",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "surveyed",
                table: "queue_interval_rollups",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "talk_seconds",
                table: "queue_interval_rollups",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<int>(
                name: "talked",
                table: "queue_interval_rollups",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "transfers",
                table: "queue_interval_rollups",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "wrap_up_seconds",
                table: "queue_interval_rollups",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<int>(
                name: "wrapped_up",
                table: "queue_interval_rollups",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "wrap_up_seconds",
                table: "agent_interval_rollups",
                type: "double precision",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.CreateTable(
                name: "call_facts",
                columns: table => new
                {
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    line = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    customer_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    verified = table.Column<bool>(type: "boolean", nullable: false),
                    first_choice = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    queue = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    queued_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    answered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    agent = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    abandoned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    callback_requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    wrapped_up_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    disposition = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    reason_family = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    resolved = table.Column<bool>(type: "boolean", nullable: false),
                    transfers = table.Column<int>(type: "integer", nullable: false),
                    survey_score = table.Column<int>(type: "integer", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    next_contact_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_call_facts", x => x.call_sid);
                });

            migrationBuilder.CreateTable(
                name: "fcr_daily_rollups",
                columns: table => new
                {
                    day = table.Column<DateOnly>(type: "date", nullable: false),
                    window_days = table.Column<int>(type: "integer", nullable: false),
                    needs = table.Column<int>(type: "integer", nullable: false),
                    resolved_first_time = table.Column<int>(type: "integer", nullable: false),
                    rate = table.Column<double>(type: "double precision", nullable: true),
                    provisional = table.Column<bool>(type: "boolean", nullable: false),
                    definition = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_fcr_daily_rollups", x => new { x.day, x.window_days });
                });

            migrationBuilder.CreateTable(
                name: "line_interval_rollups",
                columns: table => new
                {
                    interval_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    line = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    calls = table.Column<int>(type: "integer", nullable: false),
                    self_service_only = table.Column<int>(type: "integer", nullable: false),
                    transferred_to_agent = table.Column<int>(type: "integer", nullable: false),
                    answered_by_agent = table.Column<int>(type: "integer", nullable: false),
                    connect_rate = table.Column<double>(type: "double precision", nullable: true),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_line_interval_rollups", x => new { x.interval_start, x.line });
                });

            migrationBuilder.CreateIndex(
                name: "ix_call_facts_agent_answered_at",
                table: "call_facts",
                columns: new[] { "agent", "answered_at" });

            migrationBuilder.CreateIndex(
                name: "ix_call_facts_customer_key_queued_at",
                table: "call_facts",
                columns: new[] { "customer_key", "queued_at" });

            migrationBuilder.CreateIndex(
                name: "ix_call_facts_line_started_at",
                table: "call_facts",
                columns: new[] { "line", "started_at" });

            migrationBuilder.CreateIndex(
                name: "ix_call_facts_queue_queued_at",
                table: "call_facts",
                columns: new[] { "queue", "queued_at" });

            migrationBuilder.CreateIndex(
                name: "ix_call_facts_queued_at",
                table: "call_facts",
                column: "queued_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "call_facts");

            migrationBuilder.DropTable(
                name: "fcr_daily_rollups");

            migrationBuilder.DropTable(
                name: "line_interval_rollups");

            migrationBuilder.DropColumn(
                name: "abandon_rate",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "answer_wait_seconds",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "average_handle_time",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "callbacks_requested",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "longest_wait_seconds",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "satisfaction_rate",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "satisfied",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "surveyed",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "talk_seconds",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "talked",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "transfers",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "wrap_up_seconds",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "wrapped_up",
                table: "queue_interval_rollups");

            migrationBuilder.DropColumn(
                name: "wrap_up_seconds",
                table: "agent_interval_rollups");
        }
    }
}
