using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class StaffSecondFactorAndOperationLogLock : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "totp_enrolled_at",
                table: "staff_members",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "totp_last_used_step",
                table: "staff_members",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "totp_pending_secret",
                table: "staff_members",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "totp_secret",
                table: "staff_members",
                type: "bytea",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "staff_recovery_codes",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    staff_member_id = table.Column<long>(type: "bigint", nullable: false),
                    code_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_staff_recovery_codes", x => x.id);
                    table.ForeignKey(
                        name: "fk_staff_recovery_codes_staff_members_staff_member_id",
                        column: x => x.staff_member_id,
                        principalTable: "staff_members",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_staff_recovery_codes_staff_member_id_code_hash",
                table: "staff_recovery_codes",
                columns: new[] { "staff_member_id", "code_hash" },
                unique: true);

            // The operation log is evidence of what staff did (kept at least 3 years, never editable by the people it
            // records): no role, the application's included, may change or remove a row. Kept forever here; a
            // retention job past 3 years would need a migration that says so. Only a superuser disabling this
            // trigger gets round it, which the DBA's own audit (pgaudit / log_statement) must catch.
            migrationBuilder.Sql("""
                CREATE FUNCTION operation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'operation_log is append-only: % refused', TG_OP;
                END $$;
                CREATE TRIGGER operation_log_no_update_or_delete
                    BEFORE UPDATE OR DELETE ON operation_log
                    FOR EACH STATEMENT EXECUTE FUNCTION operation_log_append_only();
                CREATE TRIGGER operation_log_no_truncate
                    BEFORE TRUNCATE ON operation_log
                    FOR EACH STATEMENT EXECUTE FUNCTION operation_log_append_only();
                REVOKE UPDATE, DELETE, TRUNCATE ON operation_log FROM PUBLIC;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER operation_log_no_truncate ON operation_log;
                DROP TRIGGER operation_log_no_update_or_delete ON operation_log;
                DROP FUNCTION operation_log_append_only();
                """);

            migrationBuilder.DropTable(
                name: "staff_recovery_codes");

            migrationBuilder.DropColumn(
                name: "totp_enrolled_at",
                table: "staff_members");

            migrationBuilder.DropColumn(
                name: "totp_last_used_step",
                table: "staff_members");

            migrationBuilder.DropColumn(
                name: "totp_pending_secret",
                table: "staff_members");

            migrationBuilder.DropColumn(
                name: "totp_secret",
                table: "staff_members");
        }
    }
}
