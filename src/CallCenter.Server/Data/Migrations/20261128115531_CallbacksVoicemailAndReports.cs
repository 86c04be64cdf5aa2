using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class CallbacksVoicemailAndReports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_callbacks_origin_call_sid",
                table: "callbacks");

            migrationBuilder.AlterColumn<string>(
                name: "outcome",
                table: "outbound_contact_attempts",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(16)",
                oldMaxLength: 16);

            migrationBuilder.AddColumn<string>(
                name: "call_status",
                table: "outbound_contact_attempts",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "duration_seconds",
                table: "outbound_contact_attempts",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "ended_at",
                table: "outbound_contact_attempts",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "twilio_call_sid",
                table: "outbound_contact_attempts",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "message_recording_sid",
                table: "callbacks",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "complaint_daily_reports",
                columns: table => new
                {
                    date = table.Column<DateOnly>(type: "date", nullable: false),
                    produced_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    body = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_complaint_daily_reports", x => x.date);
                });

            migrationBuilder.CreateIndex(
                name: "ix_outbound_contact_attempts_twilio_call_sid",
                table: "outbound_contact_attempts",
                column: "twilio_call_sid");

            migrationBuilder.CreateIndex(
                name: "ix_callbacks_origin_call_sid_kind",
                table: "callbacks",
                columns: new[] { "origin_call_sid", "kind" },
                unique: true,
                filter: "kind <> 'Promised'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "complaint_daily_reports");

            migrationBuilder.DropIndex(
                name: "ix_outbound_contact_attempts_twilio_call_sid",
                table: "outbound_contact_attempts");

            migrationBuilder.DropIndex(
                name: "ix_callbacks_origin_call_sid_kind",
                table: "callbacks");

            migrationBuilder.DropColumn(
                name: "call_status",
                table: "outbound_contact_attempts");

            migrationBuilder.DropColumn(
                name: "duration_seconds",
                table: "outbound_contact_attempts");

            migrationBuilder.DropColumn(
                name: "ended_at",
                table: "outbound_contact_attempts");

            migrationBuilder.DropColumn(
                name: "twilio_call_sid",
                table: "outbound_contact_attempts");

            migrationBuilder.DropColumn(
                name: "message_recording_sid",
                table: "callbacks");

            migrationBuilder.AlterColumn<string>(
                name: "outcome",
                table: "outbound_contact_attempts",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(16)",
                oldMaxLength: 16,
                oldNullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_callbacks_origin_call_sid",
                table: "callbacks",
                column: "origin_call_sid",
                unique: true,
                filter: "kind = 'Queue'");
        }
    }
}
