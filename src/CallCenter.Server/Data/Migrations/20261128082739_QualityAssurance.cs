using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using NpgsqlTypes;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class QualityAssurance : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "qa_closed_periods",
                columns: table => new
                {
                    period = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    closed_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    closed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_qa_closed_periods", x => x.period);
                });

            migrationBuilder.CreateTable(
                name: "qa_form_versions",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false),
                    criteria = table.Column<string>(type: "jsonb", nullable: false),
                    created_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_qa_form_versions", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "qa_review_plans",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    period = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    per_agent = table.Column<int>(type: "integer", nullable: false),
                    seed = table.Column<long>(type: "bigint", nullable: false),
                    created_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_qa_review_plans", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "transcript_phrases",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    archive_number = table.Column<long>(type: "bigint", nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    channel = table.Column<int>(type: "integer", nullable: true),
                    speaker = table.Column<int>(type: "integer", nullable: true),
                    offset_ms = table.Column<int>(type: "integer", nullable: false),
                    duration_ms = table.Column<int>(type: "integer", nullable: false),
                    locale = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    text = table.Column<string>(type: "character varying(4000)", maxLength: 4000, nullable: false),
                    confidence = table.Column<double>(type: "double precision", nullable: true),
                    search_vector = table.Column<NpgsqlTsVector>(type: "tsvector", nullable: false, computedColumnSql: "to_tsvector('english'::regconfig, kb_search_text(text))", stored: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_transcript_phrases", x => x.id);
                    table.ForeignKey(
                        name: "fk_transcript_phrases_archived_recordings_archive_number",
                        column: x => x.archive_number,
                        principalTable: "archived_recordings",
                        principalColumn: "archive_number",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "transcription_jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    archive_number = table.Column<long>(type: "bigint", nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    lease_token = table.Column<Guid>(type: "uuid", nullable: true),
                    lease_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_transcription_jobs", x => x.id);
                    table.ForeignKey(
                        name: "fk_transcription_jobs_archived_recordings_archive_number",
                        column: x => x.archive_number,
                        principalTable: "archived_recordings",
                        principalColumn: "archive_number",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "qa_evaluations",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    archive_number = table.Column<long>(type: "bigint", nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    agent = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    reviewer = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    form_id = table.Column<long>(type: "bigint", nullable: false),
                    period = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: false),
                    answers = table.Column<string>(type: "jsonb", nullable: false),
                    total = table.Column<decimal>(type: "numeric(5,1)", precision: 5, scale: 1, nullable: false),
                    grade = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    fatal_failed = table.Column<bool>(type: "boolean", nullable: false),
                    summary = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    agent_response = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    responded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_qa_evaluations", x => x.id);
                    table.ForeignKey(
                        name: "fk_qa_evaluations_archived_recordings_archive_number",
                        column: x => x.archive_number,
                        principalTable: "archived_recordings",
                        principalColumn: "archive_number",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_qa_evaluations_scoring_forms_form_id",
                        column: x => x.form_id,
                        principalTable: "qa_form_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "qa_review_plan_items",
                columns: table => new
                {
                    plan_id = table.Column<long>(type: "bigint", nullable: false),
                    archive_number = table.Column<long>(type: "bigint", nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    agent = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    queue = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    complaint = table.Column<bool>(type: "boolean", nullable: false),
                    reviewer = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_qa_review_plan_items", x => new { x.plan_id, x.archive_number });
                    table.ForeignKey(
                        name: "fk_qa_review_plan_items_qa_review_plans_plan_id",
                        column: x => x.plan_id,
                        principalTable: "qa_review_plans",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "qa_evaluation_comments",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    evaluation_id = table.Column<long>(type: "bigint", nullable: false),
                    author = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    offset_ms = table.Column<int>(type: "integer", nullable: true),
                    text = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_qa_evaluation_comments", x => x.id);
                    table.ForeignKey(
                        name: "fk_qa_evaluation_comments_evaluations_evaluation_id",
                        column: x => x.evaluation_id,
                        principalTable: "qa_evaluations",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_qa_evaluation_comments_evaluation_id",
                table: "qa_evaluation_comments",
                column: "evaluation_id");

            migrationBuilder.CreateIndex(
                name: "ix_qa_evaluations_agent_period",
                table: "qa_evaluations",
                columns: new[] { "agent", "period" });

            migrationBuilder.CreateIndex(
                name: "ix_qa_evaluations_archive_number_reviewer",
                table: "qa_evaluations",
                columns: new[] { "archive_number", "reviewer" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_qa_evaluations_form_id",
                table: "qa_evaluations",
                column: "form_id");

            migrationBuilder.CreateIndex(
                name: "ix_qa_form_versions_name_version",
                table: "qa_form_versions",
                columns: new[] { "name", "version" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_qa_review_plan_items_reviewer",
                table: "qa_review_plan_items",
                column: "reviewer");

            migrationBuilder.CreateIndex(
                name: "ix_qa_review_plans_period",
                table: "qa_review_plans",
                column: "period",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_transcript_phrases_archive_number_offset_ms",
                table: "transcript_phrases",
                columns: new[] { "archive_number", "offset_ms" });

            migrationBuilder.CreateIndex(
                name: "ix_transcript_phrases_search_vector",
                table: "transcript_phrases",
                column: "search_vector")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.CreateIndex(
                name: "ix_transcription_jobs_archive_number",
                table: "transcription_jobs",
                column: "archive_number",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_transcription_jobs_next_attempt_at",
                table: "transcription_jobs",
                column: "next_attempt_at",
                filter: "state = 'pending'");

            // A recording is queued for transcription in the same transaction that catalogues it (ArchiveIngestor.CatalogueAsync),
            // so none is missed and the archive's code needs no knowledge of QA. Recordings archived before this migration are queued too.
            migrationBuilder.Sql("""
                CREATE FUNCTION qa_queue_transcription() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  INSERT INTO transcription_jobs (archive_number, call_sid, state, attempts, next_attempt_at, created_at)
                  VALUES (NEW.archive_number, NEW.call_sid, 'pending', 0, NEW.archived_at, NEW.archived_at)
                  ON CONFLICT (archive_number) DO NOTHING;
                  RETURN NEW;
                END $$;

                CREATE TRIGGER archived_recordings_queue_transcription AFTER INSERT ON archived_recordings
                  FOR EACH ROW EXECUTE FUNCTION qa_queue_transcription();

                -- A transcript is the recording's content in words: the retention sweep's destruction takes it too.
                CREATE FUNCTION qa_destroy_transcript() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  DELETE FROM transcript_phrases WHERE archive_number = NEW.archive_number;
                  RETURN NEW;
                END $$;

                CREATE TRIGGER archived_recordings_destroy_transcript AFTER UPDATE OF destroyed_at ON archived_recordings
                  FOR EACH ROW WHEN (NEW.destroyed_at IS NOT NULL AND OLD.destroyed_at IS NULL) EXECUTE FUNCTION qa_destroy_transcript();

                INSERT INTO transcription_jobs (archive_number, call_sid, state, attempts, next_attempt_at, created_at)
                SELECT archive_number, call_sid, 'pending', 0, archived_at, archived_at FROM archived_recordings WHERE destroyed_at IS NULL
                ON CONFLICT (archive_number) DO NOTHING;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER archived_recordings_destroy_transcript ON archived_recordings;
                DROP FUNCTION qa_destroy_transcript();
                DROP TRIGGER archived_recordings_queue_transcription ON archived_recordings;
                DROP FUNCTION qa_queue_transcription();
                """);

            migrationBuilder.DropTable(
                name: "qa_closed_periods");

            migrationBuilder.DropTable(
                name: "qa_evaluation_comments");

            migrationBuilder.DropTable(
                name: "qa_review_plan_items");

            migrationBuilder.DropTable(
                name: "transcript_phrases");

            migrationBuilder.DropTable(
                name: "transcription_jobs");

            migrationBuilder.DropTable(
                name: "qa_evaluations");

            migrationBuilder.DropTable(
                name: "qa_review_plans");

            migrationBuilder.DropTable(
                name: "qa_form_versions");
        }
    }
}
