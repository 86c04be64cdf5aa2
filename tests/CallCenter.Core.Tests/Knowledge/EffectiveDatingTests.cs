using CallCenter.Core.Knowledge;

namespace CallCenter.Core.Tests.Knowledge;

/// <summary>A fee change published on 10 November, effective on 1 December, seen at several instants.</summary>
public sealed class EffectiveDatingTests
{
    private static readonly DateTimeOffset OldFrom = new(2026, 1, 1, 0, 0, 0, TimeSpan.FromHours(8));
    private static readonly DateTimeOffset ChangeOn = new(2026, 12, 1, 0, 0, 0, TimeSpan.FromHours(8));
    private static readonly DatedVersion Old = new(1, OldFrom);
    private static readonly DatedVersion New = new(2, ChangeOn);

    [Test]
    public void More_than_a_week_before_the_change_only_the_old_text_shows_and_the_new_one_is_scheduled()
    {
        var t = EffectiveDating.At([Old, New], ChangeOn.AddDays(-8));
        Assert.Multiple(() =>
        {
            Assert.That(t.Current, Is.EqualTo(Old));
            Assert.That(t.Upcoming, Is.Null);
            Assert.That(t.Statuses[2], Is.EqualTo(VersionStatus.Scheduled));
        });
    }

    [Test]
    public void In_the_week_before_the_change_both_texts_show()
    {
        var t = EffectiveDating.At([New, Old], ChangeOn.AddDays(-7));
        Assert.Multiple(() =>
        {
            Assert.That(t.Current, Is.EqualTo(Old));
            Assert.That(t.Upcoming, Is.EqualTo(New));
            Assert.That(t.Statuses[1], Is.EqualTo(VersionStatus.Current));
            Assert.That(t.Statuses[2], Is.EqualTo(VersionStatus.Upcoming));
        });
    }

    [Test]
    public void From_the_effective_instant_the_new_text_is_current_and_the_old_one_expired_but_kept()
    {
        var t = EffectiveDating.At([Old, New], ChangeOn);
        Assert.Multiple(() =>
        {
            Assert.That(t.Current, Is.EqualTo(New));
            Assert.That(t.Upcoming, Is.Null);
            Assert.That(t.Statuses[1], Is.EqualTo(VersionStatus.Expired));
            Assert.That(t.EffectiveUntil[1], Is.EqualTo(ChangeOn));
            Assert.That(t.EffectiveUntil[2], Is.Null);
        });
    }

    [Test]
    public void A_new_article_before_its_first_date_has_no_current_text_only_the_coming_one()
    {
        var t = EffectiveDating.At([New], ChangeOn.AddDays(-1));
        Assert.That(t.Current, Is.Null);
        Assert.That(t.Upcoming, Is.EqualTo(New));
    }

    [Test]
    public void Only_the_nearest_of_two_coming_changes_is_upcoming()
    {
        var later = new DatedVersion(3, ChangeOn.AddDays(3));
        var t = EffectiveDating.At([Old, later, New], ChangeOn.AddDays(-2));
        Assert.That(t.Upcoming, Is.EqualTo(New));
        Assert.That(t.Statuses[3], Is.EqualTo(VersionStatus.Scheduled));
    }
}
