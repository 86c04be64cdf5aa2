using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialCallLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "agents",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    work_number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    display_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agents", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "call_events",
                columns: table => new
                {
                    global_seq = table.Column<long>(type: "bigint", nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    call_seq = table.Column<int>(type: "integer", nullable: false),
                    type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    step_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    payload = table.Column<string>(type: "json", nullable: false),
                    prev_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    hash = table.Column<byte[]>(type: "bytea", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_call_events", x => x.global_seq);
                });

            migrationBuilder.CreateTable(
                name: "calls",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    account_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    from_number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    to_number = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    direction = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    duration_seconds = table.Column<int>(type: "integer", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_calls", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "queues",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    display_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_queues", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "skills",
                columns: table => new
                {
                    code = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_skills", x => x.code);
                });

            migrationBuilder.CreateTable(
                name: "agent_skills",
                columns: table => new
                {
                    agent_id = table.Column<long>(type: "bigint", nullable: false),
                    skill_code = table.Column<string>(type: "character varying(64)", nullable: false),
                    proficiency = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_agent_skills", x => new { x.agent_id, x.skill_code });
                    table.CheckConstraint("ck_agent_skills_proficiency", "proficiency BETWEEN 1 AND 5");
                    table.ForeignKey(
                        name: "fk_agent_skills_agents_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agents",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_agent_skills_skills_skill_code",
                        column: x => x.skill_code,
                        principalTable: "skills",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "queue_skills",
                columns: table => new
                {
                    queue_id = table.Column<long>(type: "bigint", nullable: false),
                    skill_code = table.Column<string>(type: "character varying(64)", nullable: false),
                    min_proficiency = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_queue_skills", x => new { x.queue_id, x.skill_code });
                    table.CheckConstraint("ck_queue_skills_min_proficiency", "min_proficiency BETWEEN 1 AND 5");
                    table.ForeignKey(
                        name: "fk_queue_skills_queues_queue_id",
                        column: x => x.queue_id,
                        principalTable: "queues",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_queue_skills_skills_skill_code",
                        column: x => x.skill_code,
                        principalTable: "skills",
                        principalColumn: "code",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_agent_skills_skill_code",
                table: "agent_skills",
                column: "skill_code");

            migrationBuilder.CreateIndex(
                name: "ix_agents_work_number",
                table: "agents",
                column: "work_number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_call_events_call_sid_call_seq",
                table: "call_events",
                columns: new[] { "call_sid", "call_seq" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_call_events_call_sid_step_key",
                table: "call_events",
                columns: new[] { "call_sid", "step_key" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_call_events_occurred_at",
                table: "call_events",
                column: "occurred_at");

            migrationBuilder.CreateIndex(
                name: "ix_calls_call_sid",
                table: "calls",
                column: "call_sid",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_calls_started_at",
                table: "calls",
                column: "started_at");

            migrationBuilder.CreateIndex(
                name: "ix_queue_skills_skill_code",
                table: "queue_skills",
                column: "skill_code");

            migrationBuilder.CreateIndex(
                name: "ix_queues_name",
                table: "queues",
                column: "name",
                unique: true);

            // The call log is append-only: the database refuses edits and deletions outright; the
            // hash chain catches anyone who bypasses this (a superuser disabling the trigger).
            migrationBuilder.Sql("""
                CREATE FUNCTION call_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'call_events is append-only: % refused', TG_OP;
                END $$;
                CREATE TRIGGER call_events_no_update_or_delete
                    BEFORE UPDATE OR DELETE OR TRUNCATE ON call_events
                    FOR EACH STATEMENT EXECUTE FUNCTION call_events_append_only();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER call_events_no_update_or_delete ON call_events; DROP FUNCTION call_events_append_only();");
            migrationBuilder.DropTable(
                name: "agent_skills");

            migrationBuilder.DropTable(
                name: "call_events");

            migrationBuilder.DropTable(
                name: "calls");

            migrationBuilder.DropTable(
                name: "queue_skills");

            migrationBuilder.DropTable(
                name: "agents");

            migrationBuilder.DropTable(
                name: "queues");

            migrationBuilder.DropTable(
                name: "skills");
        }
    }
}
