using CallCenter.Core.Calendars;
using CallCenter.Core.Channels;

namespace CallCenter.Core.Tests.Channels;

/// <summary>Categories, keyword classification and per-category due times.</summary>
public sealed class ServiceRequestPolicyTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private static ServiceRequestPolicy Policy() => new(
        [
            new RequestCategory("general", TimeSpan.FromHours(8), []),
            new RequestCategory("cards", TimeSpan.FromHours(4), ["card", "卡"]),
            new RequestCategory("complaints", TimeSpan.FromHours(24), ["complain", "投诉"]),
        ],
        defaultCategory: "general");

    [Test]
    public void A_message_naming_a_categorys_keyword_falls_in_that_category()
    {
        Assert.That(Policy().Classify("My CARD was swallowed").Name, Is.EqualTo("cards"));
        Assert.That(Policy().Classify("我要投诉").Name, Is.EqualTo("complaints"));
    }

    [Test]
    public void A_message_naming_no_category_gets_the_default()
    {
        Assert.That(Policy().Classify("hello").Name, Is.EqualTo("general"));
        Assert.That(Policy().Classify(null).Name, Is.EqualTo("general"));
    }

    [Test]
    public void Categories_are_found_by_name_ignoring_case_and_unknown_names_are_null()
    {
        Assert.That(Policy().Find(" Cards ")?.Name, Is.EqualTo("cards"));
        Assert.That(Policy().Find("mortgages"), Is.Null);
    }

    [Test]
    public void The_due_time_is_the_categorys_working_time_on_the_calendar()
    {
        IReadOnlyList<OpeningHours> day = [new(new TimeOnly(9, 0), new TimeOnly(18, 0))];
        var calendar = new BusinessCalendar("Asia/Shanghai", new Dictionary<DayOfWeek, IReadOnlyList<OpeningHours>>
        {
            [DayOfWeek.Friday] = day, [DayOfWeek.Monday] = day,
        });

        var due = ServiceRequestPolicy.DueAt(Policy().Find("cards")!, new DateTimeOffset(2026, 11, 27, 17, 55, 0, Shanghai), calendar);

        Assert.That(due, Is.EqualTo(new DateTimeOffset(2026, 11, 30, 12, 55, 0, Shanghai)));
    }

    [Test]
    public void A_default_that_is_not_a_category_or_a_zero_due_time_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new ServiceRequestPolicy([new RequestCategory("general", TimeSpan.FromHours(1), [])], "cards"));
        Assert.Throws<ArgumentException>(() => new ServiceRequestPolicy([new RequestCategory("general", TimeSpan.Zero, [])], "general"));
    }
}
