using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class DegradedModes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "surge_switches",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    flow_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    switched_on_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    switched_on_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    switched_off_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    switched_off_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_surge_switches", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_surge_switches_flow_id",
                table: "surge_switches",
                column: "flow_id",
                unique: true,
                filter: "switched_off_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "surge_switches");
        }
    }
}
