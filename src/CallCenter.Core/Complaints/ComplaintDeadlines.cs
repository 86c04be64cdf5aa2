using System.Globalization;

namespace CallCenter.Core.Complaints;

/// <summary>How a time limit is counted.</summary>
public enum LimitUnit
{
    Hours,
    CalendarDays,
    /// <summary>Days the complaint desk works (its weekdays, minus holidays), same time of day.</summary>
    WorkingDays,
}

/// <summary>One time limit, e.g. 7 working days.</summary>
public sealed record ComplaintLimit(int Amount, LimitUnit Unit)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Amount} {Unit}");
}

/// <summary>A grade's three limits, all counted from receipt, and how early a ticket counts as nearly overdue.</summary>
public sealed record GradeLimits(ComplaintLimit Accept, ComplaintLimit Answer, ComplaintLimit Close, TimeSpan WarnBefore);

/// <summary>
/// The working calendar deadlines are counted on: time zone, working weekdays and holidays. Unlike the hotline's
/// 7×24 line calendar this is the complaint desk's office week.
/// </summary>
public sealed class WorkingCalendar
{
    private readonly HashSet<DayOfWeek> _workdays;
    private readonly HashSet<DateOnly> _holidays;

    public WorkingCalendar(string timeZoneId, IEnumerable<DayOfWeek>? workdays = null, IEnumerable<DateOnly>? holidays = null)
    {
        TimeZone = TimeZoneInfo.FindSystemTimeZoneById(timeZoneId);
        _workdays = [.. workdays ?? [DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday]];
        if (_workdays.Count == 0) throw new ArgumentException("At least one working weekday.", nameof(workdays));
        _holidays = [.. holidays ?? []];
    }

    public TimeZoneInfo TimeZone { get; }

    public bool IsWorkingDay(DateOnly day) => _workdays.Contains(day.DayOfWeek) && !_holidays.Contains(day);

    /// <summary>The instant <paramref name="limit"/> after <paramref name="from"/>, in UTC (what storage takes).</summary>
    public DateTimeOffset Add(DateTimeOffset from, ComplaintLimit limit)
    {
        ArgumentNullException.ThrowIfNull(limit);
        switch (limit.Unit)
        {
            case LimitUnit.Hours:
                return from.AddHours(limit.Amount).ToUniversalTime();
            case LimitUnit.CalendarDays:
                return from.AddDays(limit.Amount).ToUniversalTime();
            case LimitUnit.WorkingDays:
                // Counted in local dates so a deadline keeps its wall-clock time; a ticket received on a
                // non-working day starts counting from the next working day.
                var local = TimeZoneInfo.ConvertTime(from, TimeZone);
                var day = DateOnly.FromDateTime(local.DateTime);
                for (var left = limit.Amount; left > 0;)
                {
                    day = day.AddDays(1);
                    if (IsWorkingDay(day)) left--;
                }
                var wall = day.ToDateTime(TimeOnly.FromDateTime(local.DateTime));
                return new DateTimeOffset(wall, TimeZone.GetUtcOffset(wall)).ToUniversalTime();
            default:
                throw new ArgumentOutOfRangeException(nameof(limit), limit.Unit, "Unknown limit unit.");
        }
    }
}

/// <summary>The three instants a ticket must meet, fixed when it is received (or reopened).</summary>
public sealed record Deadlines(DateTimeOffset AcceptBy, DateTimeOffset AnswerBy, DateTimeOffset CloseBy);

/// <summary>A ticket's milestones as far as they are reached.</summary>
public sealed record Milestones(DateTimeOffset? AcceptedAt, DateTimeOffset? AnsweredAt, DateTimeOffset? ClosedAt);

/// <summary>Standing of one milestone against its deadline.</summary>
public enum DeadlineState
{
    OnTime,
    NearlyOverdue,
    Overdue,
    Met,
    MetLate,
}

/// <summary>Standing of all three milestones; <see cref="Worst"/> is what the supervisor view sorts by.</summary>
public sealed record DeadlineStatus(DeadlineState Accept, DeadlineState Answer, DeadlineState Close)
{
    /// <summary>Overdue if any open milestone is, else nearly overdue if any is, else on time.</summary>
    public DeadlineState Worst =>
        new[] { Accept, Answer, Close } switch
        {
            var s when s.Contains(DeadlineState.Overdue) => DeadlineState.Overdue,
            var s when s.Contains(DeadlineState.NearlyOverdue) => DeadlineState.NearlyOverdue,
            _ => DeadlineState.OnTime,
        };
}

/// <summary>
/// Grades and their limits (configurable) and the overdue evaluation on an injected instant. Defaults follow the
/// financial-service manual: ordinary answered within 7 working days, serious within 15, major (urgent) within 24 hours;
/// a reopened complaint is answered within 10 calendar days.
/// </summary>
public sealed class ComplaintPolicy
{
    public ComplaintPolicy(IReadOnlyDictionary<ComplaintGrade, GradeLimits> grades, ComplaintLimit reopenAnswer, WorkingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(grades);
        foreach (var grade in Enum.GetValues<ComplaintGrade>())
        {
            if (!grades.TryGetValue(grade, out var limits)) throw new ArgumentException($"No limits for grade {grade}.", nameof(grades));
            if (new[] { limits.Accept, limits.Answer, limits.Close }.Any(l => l.Amount <= 0))
                throw new ArgumentException($"Grade {grade}: every limit must be positive.", nameof(grades));
            if (limits.WarnBefore < TimeSpan.Zero)
                throw new ArgumentException($"Grade {grade}: the warning lead cannot be negative.", nameof(grades));
        }
        Grades = grades;
        ReopenAnswer = reopenAnswer;
        Calendar = calendar;
    }

    public static IReadOnlyDictionary<ComplaintGrade, GradeLimits> DefaultGrades { get; } = new Dictionary<ComplaintGrade, GradeLimits>
    {
        [ComplaintGrade.Ordinary] = new(new(1, LimitUnit.WorkingDays), new(7, LimitUnit.WorkingDays), new(10, LimitUnit.WorkingDays), TimeSpan.FromDays(1)),
        [ComplaintGrade.Serious] = new(new(4, LimitUnit.Hours), new(15, LimitUnit.WorkingDays), new(18, LimitUnit.WorkingDays), TimeSpan.FromDays(2)),
        [ComplaintGrade.Major] = new(new(2, LimitUnit.Hours), new(24, LimitUnit.Hours), new(3, LimitUnit.WorkingDays), TimeSpan.FromHours(4)),
    };

    public IReadOnlyDictionary<ComplaintGrade, GradeLimits> Grades { get; }

    public ComplaintLimit ReopenAnswer { get; }

    public WorkingCalendar Calendar { get; }

    /// <summary>Deadlines of a ticket of <paramref name="grade"/> received at <paramref name="receivedAt"/>.</summary>
    public Deadlines For(ComplaintGrade grade, DateTimeOffset receivedAt)
    {
        var limits = Grades[grade];
        return new(Calendar.Add(receivedAt, limits.Accept), Calendar.Add(receivedAt, limits.Answer), Calendar.Add(receivedAt, limits.Close));
    }

    /// <summary>
    /// Deadlines after a reopen: already accepted, a new answer limit from the reopen, and closing the grade's
    /// answer-to-close span after that.
    /// </summary>
    public Deadlines ForReopened(ComplaintGrade grade, Deadlines before, DateTimeOffset reopenedAt)
    {
        ArgumentNullException.ThrowIfNull(before);
        var answerBy = Calendar.Add(reopenedAt, ReopenAnswer);
        var closeSpan = before.CloseBy - before.AnswerBy;
        return new(before.AcceptBy, answerBy, answerBy + (closeSpan > TimeSpan.Zero ? closeSpan : Grades[grade].WarnBefore));
    }

    /// <summary>Where each milestone stands at <paramref name="now"/>; a milestone is overdue from its deadline on (inclusive).</summary>
    public DeadlineStatus Evaluate(ComplaintGrade grade, Deadlines deadlines, Milestones reached, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(deadlines);
        ArgumentNullException.ThrowIfNull(reached);
        var warn = Grades[grade].WarnBefore;
        return new(
            State(deadlines.AcceptBy, reached.AcceptedAt),
            State(deadlines.AnswerBy, reached.AnsweredAt),
            State(deadlines.CloseBy, reached.ClosedAt));

        DeadlineState State(DateTimeOffset due, DateTimeOffset? done) => done switch
        {
            { } at when at <= due => DeadlineState.Met,
            not null => DeadlineState.MetLate,
            null when now >= due => DeadlineState.Overdue,
            null when now >= due - warn => DeadlineState.NearlyOverdue,
            _ => DeadlineState.OnTime,
        };
    }
}
