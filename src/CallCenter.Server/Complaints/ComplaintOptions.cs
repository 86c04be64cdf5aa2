using System.ComponentModel.DataAnnotations;
using CallCenter.Core.Complaints;

namespace CallCenter.Server.Complaints;

/// <summary>The <c>Complaints</c> configuration section: grades' limits, the desk's working calendar, work orders and the worker.</summary>
public sealed class ComplaintOptions
{
    public const string SectionName = "Complaints";

    /// <summary>IANA zone the desk's working days, deadlines and daily report are counted in.</summary>
    [Required]
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>The desk's working weekdays; empty means Monday to Friday.</summary>
    public List<DayOfWeek> Workdays { get; set; } = [];

    /// <summary>Public holidays (local dates) that are not working days.</summary>
    public List<DateOnly> Holidays { get; set; } = [];

    /// <summary>Per grade; a grade or limit left out keeps the default of <see cref="ComplaintPolicy.DefaultGrades"/>.</summary>
    public Dictionary<ComplaintGrade, GradeLimitOptions> Grades { get; set; } = [];

    /// <summary>A reopened complaint is answered within this many calendar days (branch manual: 10).</summary>
    [Range(1, 365)]
    public int ReopenAnswerDays { get; set; } = 10;

    /// <summary>A work order without its own due date is due this many working days after it is sent.</summary>
    [Range(1, 365)]
    public int WorkOrderDays { get; set; } = 3;

    /// <summary>An overdue work order escalates again after each such period while it stays open.</summary>
    public TimeSpan WorkOrderEscalateEvery { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Intake from the call log and overdue flags; false on web-only instances.</summary>
    public bool RunWorkers { get; set; } = true;

    public TimeSpan RunEvery { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the daily report job looks for a finished day without a kept report.</summary>
    public TimeSpan DailyReportCheckEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The pure policy these options describe; throws <see cref="ArgumentException"/> when they are inconsistent.</summary>
    public ComplaintPolicy Policy()
    {
        var grades = new Dictionary<ComplaintGrade, GradeLimits>();
        foreach (var (grade, defaults) in ComplaintPolicy.DefaultGrades)
        {
            var o = Grades.GetValueOrDefault(grade);
            grades[grade] = new GradeLimits(o?.Accept?.Limit() ?? defaults.Accept, o?.Answer?.Limit() ?? defaults.Answer,
                o?.Close?.Limit() ?? defaults.Close, o?.WarnBefore ?? defaults.WarnBefore);
        }
        return new ComplaintPolicy(grades, new ComplaintLimit(ReopenAnswerDays, LimitUnit.CalendarDays),
            new WorkingCalendar(TimeZone, Workdays.Count == 0 ? null : Workdays, Holidays));
    }
}

/// <summary>One grade's limits in configuration, e.g. <c>Complaints:Grades:Major:Answer:Amount=24</c>, <c>…:Unit=Hours</c>.</summary>
public sealed class GradeLimitOptions
{
    public LimitOptions? Accept { get; set; }
    public LimitOptions? Answer { get; set; }
    public LimitOptions? Close { get; set; }
    /// <summary>How long before a deadline a ticket counts as nearly overdue.</summary>
    public TimeSpan? WarnBefore { get; set; }
}

/// <summary>An amount and its unit (Hours, CalendarDays, WorkingDays).</summary>
public sealed class LimitOptions
{
    public int Amount { get; set; }
    public LimitUnit Unit { get; set; } = LimitUnit.WorkingDays;

    public ComplaintLimit Limit() => new(Amount, Unit);
}
