using CallCenter.Core.Calendars;

namespace CallCenter.Core.Channels;

/// <summary>The ways a non-phone request reaches the centre (fax arrives as a scanned e-mail).</summary>
public enum RequestChannel
{
    Sms,
    Email,
    Web,
}

/// <summary>A request category: how much staffed time the centre gives itself to answer, and words that suggest it.</summary>
/// <param name="Name">Lower-case name, e.g. "cards", "complaints".</param>
/// <param name="DueWithin">Working time (on the line's calendar) from arrival to the due time.</param>
/// <param name="Keywords">Words in a message that put it in this category (case-insensitive).</param>
public sealed record RequestCategory(string Name, TimeSpan DueWithin, IReadOnlyList<string> Keywords);

/// <summary>
/// Per-category due times on the line's business calendar. A request whose category is unknown, or whose
/// text names none, falls into the default category so every request has a due time.
/// </summary>
public sealed class ServiceRequestPolicy
{
    private readonly Dictionary<string, RequestCategory> _byName;

    /// <summary>Builds a policy; <paramref name="defaultCategory"/> must be one of <paramref name="categories"/>.</summary>
    public ServiceRequestPolicy(IEnumerable<RequestCategory> categories, string defaultCategory)
    {
        ArgumentNullException.ThrowIfNull(categories);
        Categories = [.. categories];
        _byName = Categories.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);
        if (!_byName.TryGetValue(defaultCategory, out var fallback))
            throw new ArgumentException($"The default category '{defaultCategory}' is not among the categories.", nameof(defaultCategory));
        Default = fallback;
        foreach (var c in Categories)
        {
            if (c.DueWithin <= TimeSpan.Zero)
                throw new ArgumentException($"Category '{c.Name}' needs a positive due time.", nameof(categories));
        }
    }

    /// <summary>Every configured category in configuration order (keyword matching follows it).</summary>
    public IReadOnlyList<RequestCategory> Categories { get; }

    /// <summary>The category of requests that name no other.</summary>
    public RequestCategory Default { get; }

    /// <summary>The named category, or null when there is none by that name.</summary>
    public RequestCategory? Find(string? name) => name is not null && _byName.TryGetValue(name.Trim(), out var c) ? c : null;

    /// <summary>The first category (in configuration order) one of whose keywords the text contains; otherwise the default.</summary>
    public RequestCategory Classify(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return Default;
        return Categories.FirstOrDefault(c => c.Keywords.Any(k => k.Length > 0 && text.Contains(k, StringComparison.OrdinalIgnoreCase))) ?? Default;
    }

    /// <summary>When a request of <paramref name="category"/> arriving at <paramref name="receivedAt"/> must be handled.</summary>
    public static DateTimeOffset DueAt(RequestCategory category, DateTimeOffset receivedAt, BusinessCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(category);
        return calendar.AddWorkingTime(receivedAt, category.DueWithin);
    }
}
