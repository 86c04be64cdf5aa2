using System;
using Microsoft.EntityFrameworkCore.Migrations;
using NpgsqlTypes;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class QualityScreens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Joins a phrase to the next one as they were spoken: two Chinese runs meet without a gap (the trailing punctuation
            // Azure put at its cut dropped, so the bigram across the cut exists), anything else with a space.
            migrationBuilder.Sql("""
                CREATE FUNCTION qa_span_text(a text, b text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                  SELECT CASE
                    WHEN b IS NULL THEN a
                    WHEN rtrim(a, ' 。，、？！；：…,.?!;:') ~ '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]$'
                         AND b ~ '^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]' THEN rtrim(a, ' 。，、？！；：…,.?!;:') || b
                    ELSE a || ' ' || b
                  END
                $$;
                """);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "audio_link_expires_at",
                table: "transcription_jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "audio_link_hash",
                table: "transcription_jobs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "batch_url",
                table: "transcription_jobs",
                type: "character varying(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "next_text",
                table: "transcript_phrases",
                type: "character varying(4000)",
                maxLength: 4000,
                nullable: true);

            // Phrases transcribed before: each gets the next phrase of its channel and speaker after a pause of at most 2 s,
            // as the transcriber now stores it (Transcriber.WithNextText).
            migrationBuilder.Sql("""
                UPDATE transcript_phrases p SET next_text = n.next_text
                FROM (SELECT id, CASE WHEN lead(speaker) OVER w IS NOT DISTINCT FROM speaker
                                       AND lead(offset_ms) OVER w - (offset_ms + duration_ms) <= 2000 THEN lead(text) OVER w END AS next_text
                      FROM transcript_phrases WINDOW w AS (PARTITION BY archive_number, channel ORDER BY offset_ms, id)) n
                WHERE p.id = n.id AND n.next_text IS NOT NULL;
                """);

            migrationBuilder.AddColumn<NpgsqlTsVector>(
                name: "span_vector",
                table: "transcript_phrases",
                type: "tsvector",
                nullable: false,
                computedColumnSql: "to_tsvector('english'::regconfig, kb_search_text(qa_span_text(text, next_text)))",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_transcription_jobs_audio_link_hash",
                table: "transcription_jobs",
                column: "audio_link_hash",
                unique: true,
                filter: "audio_link_hash IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_transcript_phrases_span_vector",
                table: "transcript_phrases",
                column: "span_vector")
                .Annotation("Npgsql:IndexMethod", "GIN");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_transcription_jobs_audio_link_hash",
                table: "transcription_jobs");

            migrationBuilder.DropIndex(
                name: "ix_transcript_phrases_span_vector",
                table: "transcript_phrases");

            migrationBuilder.DropColumn(
                name: "span_vector",
                table: "transcript_phrases");

            migrationBuilder.DropColumn(
                name: "audio_link_expires_at",
                table: "transcription_jobs");

            migrationBuilder.DropColumn(
                name: "audio_link_hash",
                table: "transcription_jobs");

            migrationBuilder.DropColumn(
                name: "batch_url",
                table: "transcription_jobs");

            migrationBuilder.DropColumn(
                name: "next_text",
                table: "transcript_phrases");

            migrationBuilder.Sql("DROP FUNCTION qa_span_text(text, text);");
        }
    }
}
