using System.Globalization;
using System.Text;

namespace CallCenter.Core.Quality;

/// <summary>A recorded call that may be drawn into a month's review plan.</summary>
public sealed record SampleCandidate(string CallSid, string Agent, string Queue, bool Complaint);

/// <summary>A call in the plan: why it is there (every complaint, or drawn at random) and who reviews it.</summary>
public sealed record SampledCall(string CallSid, string Agent, string Queue, bool Complaint, string Reviewer);

/// <summary>
/// The monthly review plan (recordings reviewed and scored every month): for every agent, every complaint call
/// plus random calls up to N, the random part stratified by queue in proportion to the agent's calls there
/// (largest remainder), assigned to reviewers in turn. The same seed and the same calls give the same plan,
/// whatever order the calls arrive in: each agent-and-queue stratum is shuffled by its own SplitMix64 stream
/// seeded from the seed and the stratum's name, so one agent's plan does not move when another's calls change.
/// </summary>
public static class MonthlySampling
{
    public static IReadOnlyList<SampledCall> Draw(IEnumerable<SampleCandidate> calls, int perAgent, long seed, IReadOnlyList<string> reviewers)
    {
        ArgumentNullException.ThrowIfNull(calls);
        ArgumentNullException.ThrowIfNull(reviewers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perAgent);
        var reviewerList = reviewers.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (reviewerList.Count == 0) throw new ArgumentException("A plan needs at least one reviewer.", nameof(reviewers));

        var chosen = new List<SampleCandidate>();
        foreach (var agent in calls.DistinctBy(c => c.CallSid).GroupBy(c => c.Agent, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var complaints = agent.Where(c => c.Complaint).OrderBy(c => c.CallSid, StringComparer.Ordinal).ToList();
            chosen.AddRange(complaints);
            var slots = perAgent - complaints.Count;
            if (slots <= 0) continue;
            var strata = agent.Where(c => !c.Complaint).GroupBy(c => c.Queue, StringComparer.Ordinal)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (Queue: g.Key, Calls: g.OrderBy(c => c.CallSid, StringComparer.Ordinal).ToList()))
                .ToList();
            var quotas = Allocate(slots, [.. strata.Select(s => s.Calls.Count)]);
            for (var i = 0; i < strata.Count; i++)
            {
                var random = new SplitMix64(seed ^ StableHash($"{agent.Key}\u001f{strata[i].Queue}"));
                chosen.AddRange(Shuffle(strata[i].Calls, random).Take(quotas[i]).OrderBy(c => c.CallSid, StringComparer.Ordinal));
            }
        }

        // Reviewers in turn over the whole plan; nobody reviews their own calls when someone else can.
        var plan = new List<SampledCall>(chosen.Count);
        var turn = 0;
        foreach (var call in chosen)
        {
            var reviewer = reviewerList[turn++ % reviewerList.Count];
            if (reviewer == call.Agent && reviewerList.Count > 1) reviewer = reviewerList[turn++ % reviewerList.Count];
            plan.Add(new SampledCall(call.CallSid, call.Agent, call.Queue, call.Complaint, reviewer));
        }
        return plan;
    }

    /// <summary>Splits <paramref name="slots"/> over strata in proportion to their sizes (largest remainder, ties to the earlier stratum), never above a stratum's size.</summary>
    public static int[] Allocate(int slots, IReadOnlyList<int> sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        var total = sizes.Sum();
        if (total <= slots) return [.. sizes];
        var quotas = new int[sizes.Count];
        var remainders = new (decimal Remainder, int Index)[sizes.Count];
        for (var i = 0; i < sizes.Count; i++)
        {
            var exact = (decimal)slots * sizes[i] / total;
            quotas[i] = (int)Math.Floor(exact);
            remainders[i] = (exact - quotas[i], i);
        }
        var left = slots - quotas.Sum();
        foreach (var (_, index) in remainders.OrderByDescending(r => r.Remainder).ThenBy(r => r.Index))
        {
            if (left == 0) break;
            if (quotas[index] >= sizes[index]) continue;
            quotas[index]++;
            left--;
        }
        return quotas;
    }

    private static List<T> Shuffle<T>(List<T> items, SplitMix64 random)
    {
        var copy = new List<T>(items);
        for (var i = copy.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy;
    }

    /// <summary>FNV-1a over UTF-8: string.GetHashCode differs between processes, this does not.</summary>
    private static long StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return unchecked((long)hash);
    }

    /// <summary>SplitMix64: a tiny generator whose sequence is fixed by its definition, unlike System.Random's across versions.</summary>
    private sealed class SplitMix64(long seed)
    {
        private ulong _state = unchecked((ulong)seed);

        public int Next(int bound)
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (int)(z % (ulong)bound);
        }
    }
}

/// <summary>A review period: one calendar month in the centre's time zone, written yyyy-MM.</summary>
public readonly record struct ReviewPeriod(int Year, int Month)
{
    public static bool TryParse(string? text, out ReviewPeriod period)
    {
        period = default;
        if (!DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) return false;
        period = new ReviewPeriod(d.Year, d.Month);
        return true;
    }

    /// <summary>The month an instant falls in, on the centre's wall clock.</summary>
    public static ReviewPeriod Of(DateTimeOffset instant, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(instant, zone);
        return new ReviewPeriod(local.Year, local.Month);
    }

    /// <summary>From the first instant of the month to the first instant of the next, as UTC instants.</summary>
    public (DateTimeOffset Start, DateTimeOffset End) Bounds(TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var start = new DateTime(Year, Month, 1, 0, 0, 0, DateTimeKind.Unspecified);
        var end = start.AddMonths(1);
        return (new DateTimeOffset(start, zone.GetUtcOffset(start)).ToUniversalTime(), new DateTimeOffset(end, zone.GetUtcOffset(end)).ToUniversalTime());
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Month:D2}");
}
