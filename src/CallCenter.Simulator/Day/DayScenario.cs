using System.Globalization;

namespace CallCenter.Simulator.Day;

/// <summary>How handle times are drawn: exponential (the M/M/N assumption) or log-normal (closer to real calls).</summary>
public enum HandleTimeDistribution
{
    Exponential,
    LogNormal,
}

/// <summary>One way callers go through the IVR: the keys they press in order, and how often callers choose it.</summary>
public sealed record MenuPath(string Name, IReadOnlyList<string> Keys, double Weight)
{
    /// <summary>Parses "name=k1,k2:weight", e.g. "agent=0:3" or "cards=1,1,3,1:1".</summary>
    public static MenuPath Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var weightAt = text.LastIndexOf(':');
        var weight = weightAt < 0 ? 1 : double.Parse(text[(weightAt + 1)..], CultureInfo.InvariantCulture);
        var body = weightAt < 0 ? text : text[..weightAt];
        var nameAt = body.IndexOf('=', StringComparison.Ordinal);
        var name = nameAt < 0 ? body : body[..nameAt];
        var keys = (nameAt < 0 ? body : body[(nameAt + 1)..]).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (keys.Length == 0 || weight <= 0) throw new FormatException($"'{text}' is not a menu path (name=k1,k2:weight).");
        return new MenuPath(name, keys, weight);
    }
}

/// <summary>A skill every simulated agent has, level 1–5.</summary>
public sealed record SkillLevel(string Skill, int Level);

/// <summary>Everything a simulated day is made of; times are simulated time.</summary>
public sealed record DayScenario
{
    /// <summary>Length of the simulated day.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromHours(8);

    /// <summary>Simulated seconds per real second; must equal the server's Simulation:ClockRate.</summary>
    public double ClockRate { get; init; } = 1;

    /// <summary>Mean Poisson arrival rate.</summary>
    public double CallsPerHour { get; init; } = 200;

    /// <summary>Multipliers of <see cref="CallsPerHour"/> for each simulated hour in turn (the last one repeats); empty = flat.</summary>
    public IReadOnlyList<double> HourlyProfile { get; init; } = [];

    public TimeSpan MeanHandleTime { get; init; } = TimeSpan.FromSeconds(180);

    public HandleTimeDistribution HandleTimes { get; init; } = HandleTimeDistribution.Exponential;

    /// <summary>Coefficient of variation of log-normal handle times (standard deviation ÷ mean).</summary>
    public double HandleTimeVariation { get; init; } = 0.6;

    public int Agents { get; init; } = 14;

    /// <summary>Skills every simulated agent gets (skill, level 1–5).</summary>
    public IReadOnlyList<SkillLevel> AgentSkills { get; init; } =
        [new("general", 3), new("cards", 3), new("payments", 3), new("loss-reporting", 3), new("complaints", 3)];

    /// <summary>Mean patience in the queue (exponential); null = callers never hang up (Erlang C's assumption).</summary>
    public TimeSpan? MeanPatience { get; init; }

    /// <summary>Share of callers who, when offered a callback request, leave one (the rest hang up).</summary>
    public double CallbackAcceptance { get; init; } = 0.7;

    /// <summary>Share of handled calls the agent marks resolved at wrap-up.</summary>
    public double ResolvedShare { get; init; } = 0.85;

    /// <summary>Share of callers whose call the agent left unresolved who call again about it (same number, same menu path).</summary>
    public double RepeatShare { get; init; }

    /// <summary>Mean time from the unresolved call's wrap-up to the repeat call (exponential); repeats due after the day are not placed.</summary>
    public TimeSpan MeanRepeatDelay { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Mean working time between an agent's breaks (exponential); null = agents take no breaks (Erlang C's assumption).</summary>
    public TimeSpan? MeanBreakInterval { get; init; }

    /// <summary>How long a break lasts.</summary>
    public TimeSpan BreakLength { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Mean time agents spend on wrap-up after a call (exponential); zero = they wrap up at once.</summary>
    public TimeSpan MeanWrapUp { get; init; } = TimeSpan.Zero;

    public IReadOnlyList<MenuPath> Menu { get; init; } = [new MenuPath("agent", ["0"], 1)];

    /// <summary>The hotline number callers dial.</summary>
    public string To { get; init; } = "+862100000000";

    /// <summary>Prefix of the simulated agents' work numbers (SIM001, SIM002, ...).</summary>
    public string AgentPrefix { get; init; } = "SIM";

    /// <summary>Seeds every random draw, so a run can be repeated.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The service-level threshold the report compares at.</summary>
    public TimeSpan ServiceLevelThreshold { get; init; } = TimeSpan.FromSeconds(20);

    public double RateAt(TimeSpan elapsed) =>
        CallsPerHour * (HourlyProfile.Count == 0 ? 1 : HourlyProfile[Math.Min(HourlyProfile.Count - 1, (int)elapsed.TotalHours)]);
}
