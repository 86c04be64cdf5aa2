using Npgsql;
using NpgsqlTypes;

namespace CallCenter.KnowledgeLoad;

/// <summary>
/// Deterministic articles in Chinese (70 %) and English (30 %) from banking vocabularies with a skewed (Zipf-like)
/// word frequency, so common words ("信用卡", "fee") match thousands of articles as they would in a real base.
/// One article in ten has a second version: half take effect in the coming week (banner), half replaced an
/// older one (expired, kept).
/// </summary>
internal sealed class ArticleGenerator(int seed, int articles, DateTimeOffset now)
{
    public static readonly string[] ChineseWords =
    [
        "信用卡", "年费", "借记卡", "账户", "余额", "转账", "汇款", "挂失", "补卡", "密码", "手机银行", "网上银行", "网点", "营业时间",
        "理财", "基金", "存款", "利率", "贷款", "房贷", "还款", "账单", "分期", "积分", "优惠", "手续费", "限额", "外汇", "汇率", "开户",
        "销户", "激活", "冻结", "解冻", "短信通知", "验证码", "身份证", "护照", "代发工资", "社保卡", "公积金", "大额存单", "国债", "保险",
        "黄金", "跨境", "境外消费", "取现", "自动取款机", "柜台", "预约", "排队", "投诉", "客户经理", "白金卡", "金卡", "普卡", "联名卡",
        "车贷", "消费贷", "提前还款", "逾期", "征信", "违约金", "免息期", "最低还款", "溢缴款", "临时额度", "固定额度", "调额", "扫码支付",
        "快捷支付", "云闪付", "数字人民币", "零钱", "定期", "活期", "通知存款", "结构性存款", "电子回单", "对账单", "证明", "节假日",
        "春节", "国庆", "搬迁", "新开", "暂停", "升级", "维护", "系统", "故障", "恢复", "诈骗", "风险", "提醒", "安全",
    ];

    public static readonly string[] EnglishWords =
    [
        "credit", "card", "annual", "fee", "debit", "account", "balance", "transfer", "remittance", "lost", "replacement", "password",
        "mobile", "banking", "online", "branch", "opening", "hours", "wealth", "fund", "deposit", "interest", "rate", "loan", "mortgage",
        "repayment", "statement", "instalment", "points", "discount", "charge", "limit", "foreign", "exchange", "open", "close", "activate",
        "freeze", "unfreeze", "notification", "code", "identity", "passport", "payroll", "insurance", "gold", "overseas", "cash", "withdrawal",
        "ATM", "counter", "appointment", "queue", "complaint", "manager", "platinum", "premium", "classic", "cobranded", "car", "consumer",
        "early", "overdue", "penalty", "grace", "period", "minimum", "payment", "temporary", "permanent", "increase", "QR", "quick", "wallet",
        "digital", "yuan", "fixed", "term", "current", "notice", "structured", "receipt", "certificate", "holiday", "spring", "festival",
        "national", "relocation", "new", "suspended", "upgrade", "maintenance", "system", "outage", "restored", "fraud", "risk", "reminder",
        "security",
    ];

    public static readonly string[] Products =
    [
        "信用卡", "credit-card", "借记卡", "debit-card", "白金卡", "platinum-card", "手机银行", "mobile-banking", "房贷", "mortgage",
        "消费贷", "consumer-loan", "理财", "wealth", "基金", "funds", "存款", "deposits", "外汇", "fx", "网点", "branches", "保险", "insurance",
        "黄金", "gold", "数字人民币", "e-cny", "代发工资", "payroll", "车贷", "car-loan", "大额存单", "cd", "跨境", "cross-border",
        "社保卡", "social-security-card", "公积金", "housing-fund",
    ];

    private readonly Random _random = new(seed);

    /// <summary>Skewed pick: the first words of a list are much more frequent than the last.</summary>
    private string Pick(string[] items) => items[(int)(items.Length * Math.Pow(_random.NextDouble(), 2.2))];

    private string Chinese(int words)
    {
        var parts = new List<string>(words);
        for (var i = 0; i < words; i++) parts.Add(Pick(ChineseWords) + (_random.Next(8) == 0 ? "，" : ""));
        return string.Concat(parts) + "。";
    }

    private string English(int words)
    {
        var parts = new List<string>(words);
        for (var i = 0; i < words; i++) parts.Add(Pick(EnglishWords));
        return string.Join(' ', parts) + ".";
    }

    public async Task CopyAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var year = now.AddYears(-1);
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY kb_articles (id, owner, created_by, created_at) FROM STDIN (FORMAT BINARY)"))
        {
            for (var id = 1; id <= articles; id++)
                await copy.WriteRowAsync(default, (long)id, "Department " + (id % 12), "BENCH", year);
            await copy.CompleteAsync();
        }

        var rows = new List<Row>(articles * 11 / 10);
        var noticeId = 0L;
        for (var id = 1; id <= articles; id++)
        {
            var chinese = _random.NextDouble() < 0.7;
            var products = new[] { Pick(Products), Pick(Products) }.Distinct().ToArray();
            string Title() => chinese ? Chinese(_random.Next(2, 5)) : English(_random.Next(3, 8));
            string Body() => chinese ? Chinese(_random.Next(40, 160)) : English(_random.Next(60, 240));
            var language = chinese ? "zh-CN" : "en-US";
            var second = _random.Next(10) == 0;
            if (!second)
            {
                rows.Add(new Row(++noticeId, id, 1, Title(), Body(), language, products, year.AddDays(_random.Next(300)), null));
            }
            else if (_random.Next(2) == 0)
            {
                // A change in the coming week: current text plus the banner.
                var change = now.AddDays(_random.Next(1, 7));
                rows.Add(new Row(++noticeId, id, 1, Title(), Body(), language, products, year, change));
                rows.Add(new Row(++noticeId, id, 2, Title(), Body(), language, products, change, null));
            }
            else
            {
                // An older text replaced a while ago: expired, kept for audit, never searched.
                var change = now.AddDays(-_random.Next(1, 200));
                rows.Add(new Row(++noticeId, id, 1, Title(), Body(), language, products, year, change));
                rows.Add(new Row(++noticeId, id, 2, Title(), Body(), language, products, change, null));
            }
        }

        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY kb_change_notices (id, department, kind, article_id, title, body, language, products, tags, effective_from, status,
                submitted_by, submitted_at, reviewed_by, reviewed_at, published_by, published_at, published_version_id) FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(r.NoticeId);
                await copy.WriteAsync("Department " + (r.ArticleId % 12));
                await copy.WriteAsync("FeeChange");
                await copy.WriteAsync((long)r.ArticleId);
                await copy.WriteAsync(r.Title);
                await copy.WriteAsync(r.Body);
                await copy.WriteAsync(r.Language);
                await copy.WriteAsync(r.Products, NpgsqlDbType.Array | NpgsqlDbType.Text);
                await copy.WriteAsync(Array.Empty<string>(), NpgsqlDbType.Array | NpgsqlDbType.Text);
                await copy.WriteAsync(r.From, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("Published");
                await copy.WriteAsync("BENCH");
                await copy.WriteAsync(year, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("BENCH");
                await copy.WriteAsync(year, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync("BENCH");
                await copy.WriteAsync(year, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(r.NoticeId);
            }
            await copy.CompleteAsync();
        }

        // search_vector is a stored generated column: PostgreSQL computes it (kb_document) as rows arrive.
        await using (var copy = await connection.BeginBinaryImportAsync("""
            COPY kb_article_versions (id, article_id, number, title, body, language, products, tags, effective_from, effective_until,
                notice_id, published_by, published_at) FROM STDIN (FORMAT BINARY)
            """))
        {
            foreach (var r in rows)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(r.NoticeId);
                await copy.WriteAsync((long)r.ArticleId);
                await copy.WriteAsync(r.Number);
                await copy.WriteAsync(r.Title);
                await copy.WriteAsync(r.Body);
                await copy.WriteAsync(r.Language);
                await copy.WriteAsync(r.Products, NpgsqlDbType.Array | NpgsqlDbType.Text);
                await copy.WriteAsync(Array.Empty<string>(), NpgsqlDbType.Array | NpgsqlDbType.Text);
                await copy.WriteAsync(r.From, NpgsqlDbType.TimestampTz);
                if (r.Until is { } until) await copy.WriteAsync(until, NpgsqlDbType.TimestampTz);
                else await copy.WriteNullAsync();
                await copy.WriteAsync(r.NoticeId);
                await copy.WriteAsync("BENCH");
                await copy.WriteAsync(year, NpgsqlDbType.TimestampTz);
            }
            await copy.CompleteAsync();
        }
        // Identity columns continue after the copied ids.
        await using var sync = dataSource.CreateCommand("""
            SELECT setval(pg_get_serial_sequence('kb_articles', 'id'), (SELECT max(id) FROM kb_articles));
            SELECT setval(pg_get_serial_sequence('kb_change_notices', 'id'), (SELECT max(id) FROM kb_change_notices));
            SELECT setval(pg_get_serial_sequence('kb_article_versions', 'id'), (SELECT max(id) FROM kb_article_versions));
            """);
        await sync.ExecuteNonQueryAsync();
        VersionCount = rows.Count;
    }

    public int VersionCount { get; private set; }

    /// <summary>What agents type: one or two words, Chinese or English, sometimes a product or language filter.</summary>
    public IEnumerable<(string Kind, string Text, string? Product, string? Language)> Queries(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var chinese = _random.NextDouble() < 0.7;
            var words = _random.Next(3) == 0 ? 2 : 1;
            var text = chinese
                ? string.Join(' ', Enumerable.Range(0, words).Select(_ => ChineseWords[_random.Next(ChineseWords.Length)]))
                : string.Join(' ', Enumerable.Range(0, words).Select(_ => EnglishWords[_random.Next(EnglishWords.Length)]));
            var product = _random.Next(10) < 3 ? Products[_random.Next(Products.Length)] : null;
            var language = _random.Next(2) == 0 ? (chinese ? "zh-CN" : "en-US") : null;
            yield return ($"{(chinese ? "zh" : "en")} {words} word{(words > 1 ? "s" : "")}", text, product, language);
        }
    }

    private sealed record Row(long NoticeId, int ArticleId, int Number, string Title, string Body, string Language, string[] Products,
        DateTimeOffset From, DateTimeOffset? Until);
}
