using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class MetricsRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "metrics_watermarks",
                columns: table => new
                {
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    last_global_seq = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_metrics_watermarks", x => x.name);
                });

            migrationBuilder.CreateTable(
                name: "queue_interval_rollups",
                columns: table => new
                {
                    interval_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    queue = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    policy_version = table.Column<int>(type: "integer", nullable: false),
                    offered = table.Column<int>(type: "integer", nullable: false),
                    answered = table.Column<int>(type: "integer", nullable: false),
                    answered_within_threshold = table.Column<int>(type: "integer", nullable: false),
                    abandoned = table.Column<int>(type: "integer", nullable: false),
                    short_abandoned = table.Column<int>(type: "integer", nullable: false),
                    connect_rate = table.Column<double>(type: "double precision", nullable: true),
                    service_level_offered = table.Column<double>(type: "double precision", nullable: true),
                    service_level_answered = table.Column<double>(type: "double precision", nullable: true),
                    average_speed_of_answer = table.Column<double>(type: "double precision", nullable: true),
                    average_talk_time = table.Column<double>(type: "double precision", nullable: true),
                    definition = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false),
                    computed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_queue_interval_rollups", x => new { x.interval_start, x.queue, x.policy_version });
                });

            migrationBuilder.CreateIndex(
                name: "ix_call_events_type_occurred_at",
                table: "call_events",
                columns: new[] { "type", "occurred_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "metrics_watermarks");

            migrationBuilder.DropTable(
                name: "queue_interval_rollups");

            migrationBuilder.DropIndex(
                name: "ix_call_events_type_occurred_at",
                table: "call_events");
        }
    }
}
