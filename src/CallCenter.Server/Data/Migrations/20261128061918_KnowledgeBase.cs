using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;
using NpgsqlTypes;

#nullable disable

namespace CallCenter.Server.Data.Migrations
{
    /// <inheritdoc />
    public partial class KnowledgeBase : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Search for Chinese and English in one tsvector. The default parser keeps a run of Chinese characters as one
            // "word" ("信用卡年费调整"), so a search for 年费 would miss it; overlapping bigrams of each run (信用 用卡 卡年 年费 …)
            // are words it keeps as they are, and a query's Chinese run must match all of its bigrams. The rest of the text
            // goes through the english configuration (stems: fees → fee). Tags are text[]: array_to_string is only STABLE in
            // general, but over text[] it is deterministic, so kb_document may be IMMUTABLE and feed a stored generated column.
            migrationBuilder.Sql("""
                CREATE FUNCTION kb_cjk_bigrams(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
                  SELECT coalesce(string_agg(CASE WHEN length(m.run) = 1 THEN m.run ELSE substr(m.run, i, 2) END, ' ' ORDER BY m.n, i), '')
                  FROM regexp_matches(t, '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', 'g') WITH ORDINALITY AS r(a, n)
                  CROSS JOIN LATERAL (SELECT r.a[1] AS run, r.n) m
                  CROSS JOIN LATERAL generate_series(1, greatest(length(m.run) - 1, 1)) AS i
                $$;

                CREATE FUNCTION kb_search_text(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
                  SELECT regexp_replace(t, '[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+', ' ', 'g') || ' ' || kb_cjk_bigrams(t)
                $$;

                CREATE FUNCTION kb_document(title text, body text, tags text[]) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                  SELECT setweight(to_tsvector('english'::regconfig, kb_search_text(coalesce(title, ''))), 'A')
                      || setweight(to_tsvector('english'::regconfig, kb_search_text(coalesce(array_to_string(tags, ' '), ''))), 'B')
                      || setweight(to_tsvector('english'::regconfig, kb_search_text(coalesce(body, ''))), 'C')
                $$;

                -- Each word of the query must match (match_any: any may); a Chinese run matches when all its bigrams do (an AND,
                -- not a phrase: a phrase makes PostgreSQL re-read every matching row's tsvector, which for a common word is
                -- tens of thousands of rows), a lone Chinese character as a prefix. An empty or stop-word-only query matches nothing.
                CREATE FUNCTION kb_query(q text, match_any boolean) RETURNS tsquery LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
                DECLARE
                  result tsquery;
                  part tsquery;
                  token text;
                BEGIN
                  FOR token IN SELECT m[1] FROM regexp_matches(coalesce(q, ''),
                      '([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)', 'g') AS m LOOP
                    IF token ~ '^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]' THEN
                      part := CASE WHEN length(token) = 1 THEN to_tsquery('english'::regconfig, token || ':*')
                                   ELSE plainto_tsquery('english'::regconfig, kb_cjk_bigrams(token)) END;
                    ELSE
                      part := plainto_tsquery('english'::regconfig, token);
                    END IF;
                    CONTINUE WHEN numnode(part) = 0;
                    result := CASE WHEN result IS NULL THEN part WHEN match_any THEN result || part ELSE result && part END;
                  END LOOP;
                  RETURN coalesce(result, ''::tsquery);
                END $$;
                """);

            migrationBuilder.CreateTable(
                name: "kb_articles",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    owner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    created_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_kb_articles", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "kb_incident_scripts",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    body = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    pinned_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    pinned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    unpinned_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    unpinned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    announcement_ids = table.Column<long[]>(type: "bigint[]", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_kb_incident_scripts", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "kb_change_notices",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    department = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    article_id = table.Column<long>(type: "bigint", nullable: true),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    body = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    language = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    products = table.Column<string[]>(type: "text[]", nullable: false),
                    tags = table.Column<string[]>(type: "text[]", nullable: false),
                    reason_family = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    effective_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    submitted_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    submitted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reviewed_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    reviewed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    review_note = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    published_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    published_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    published_version_id = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_kb_change_notices", x => x.id);
                    table.ForeignKey(
                        name: "fk_kb_change_notices_knowledge_articles_article_id",
                        column: x => x.article_id,
                        principalTable: "kb_articles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "kb_article_versions",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    article_id = table.Column<long>(type: "bigint", nullable: false),
                    number = table.Column<int>(type: "integer", nullable: false),
                    title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    body = table.Column<string>(type: "character varying(20000)", maxLength: 20000, nullable: false),
                    language = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    products = table.Column<string[]>(type: "text[]", nullable: false),
                    tags = table.Column<string[]>(type: "text[]", nullable: false),
                    reason_family = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    effective_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    effective_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    notice_id = table.Column<long>(type: "bigint", nullable: false),
                    published_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    published_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    search_vector = table.Column<NpgsqlTsVector>(type: "tsvector", nullable: false, computedColumnSql: "kb_document(title, body, tags)", stored: true),
                    head_vector = table.Column<NpgsqlTsVector>(type: "tsvector", nullable: false, computedColumnSql: "kb_document(title, NULL, tags)", stored: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_kb_article_versions", x => x.id);
                    table.ForeignKey(
                        name: "fk_kb_article_versions_change_notices_notice_id",
                        column: x => x.notice_id,
                        principalTable: "kb_change_notices",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_kb_article_versions_kb_articles_article_id",
                        column: x => x.article_id,
                        principalTable: "kb_articles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "kb_flags",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    article_id = table.Column<long>(type: "bigint", nullable: true),
                    version_id = table.Column<long>(type: "bigint", nullable: true),
                    kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    comment = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    call_sid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    owner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    raised_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    raised_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    resolved_by = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    resolved_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    resolution = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_kb_flags", x => x.id);
                    table.ForeignKey(
                        name: "fk_kb_flags_kb_article_versions_version_id",
                        column: x => x.version_id,
                        principalTable: "kb_article_versions",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "fk_kb_flags_kb_articles_article_id",
                        column: x => x.article_id,
                        principalTable: "kb_articles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "ix_kb_article_versions_article_id_effective_from",
                table: "kb_article_versions",
                columns: new[] { "article_id", "effective_from" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_kb_article_versions_article_id_number",
                table: "kb_article_versions",
                columns: new[] { "article_id", "number" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_kb_article_versions_effective_from_effective_until",
                table: "kb_article_versions",
                columns: new[] { "effective_from", "effective_until" });

            migrationBuilder.CreateIndex(
                name: "ix_kb_article_versions_head_vector",
                table: "kb_article_versions",
                column: "head_vector")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.CreateIndex(
                name: "ix_kb_article_versions_notice_id",
                table: "kb_article_versions",
                column: "notice_id");

            migrationBuilder.CreateIndex(
                name: "ix_kb_article_versions_products",
                table: "kb_article_versions",
                column: "products")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.CreateIndex(
                name: "ix_kb_article_versions_search_vector",
                table: "kb_article_versions",
                column: "search_vector")
                .Annotation("Npgsql:IndexMethod", "GIN");

            migrationBuilder.CreateIndex(
                name: "ix_kb_change_notices_article_id",
                table: "kb_change_notices",
                column: "article_id");

            migrationBuilder.CreateIndex(
                name: "ix_kb_change_notices_status_submitted_at",
                table: "kb_change_notices",
                columns: new[] { "status", "submitted_at" });

            migrationBuilder.CreateIndex(
                name: "ix_kb_flags_article_id",
                table: "kb_flags",
                column: "article_id");

            migrationBuilder.CreateIndex(
                name: "ix_kb_flags_owner_raised_at",
                table: "kb_flags",
                columns: new[] { "owner", "raised_at" },
                filter: "resolved_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_kb_flags_version_id",
                table: "kb_flags",
                column: "version_id");

            migrationBuilder.CreateIndex(
                name: "ix_kb_incident_scripts_pinned_at",
                table: "kb_incident_scripts",
                column: "pinned_at",
                filter: "unpinned_at IS NULL");

            // Keep the heap rows small, so that finding the matches of a common word reads few pages: title, body and the
            // tsvectors go to TOAST (read only for the rows a search ranks), the small columns searches filter on stay inline.
            migrationBuilder.Sql("""
                ALTER TABLE kb_article_versions SET (toast_tuple_target = 128);
                ALTER TABLE kb_article_versions ALTER COLUMN products SET STORAGE PLAIN, ALTER COLUMN language SET STORAGE PLAIN;
                -- Ranking decompresses each candidate's tsvector: lz4 does that several times faster than the default pglz.
                ALTER TABLE kb_article_versions ALTER COLUMN search_vector SET COMPRESSION lz4;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "kb_flags");

            migrationBuilder.DropTable(
                name: "kb_incident_scripts");

            migrationBuilder.DropTable(
                name: "kb_article_versions");

            migrationBuilder.DropTable(
                name: "kb_change_notices");

            migrationBuilder.DropTable(
                name: "kb_articles");

            migrationBuilder.Sql("""
                DROP FUNCTION kb_query(text, boolean);
                DROP FUNCTION kb_document(text, text, text[]);
                DROP FUNCTION kb_search_text(text);
                DROP FUNCTION kb_cjk_bigrams(text);
                """);
        }
    }
}
