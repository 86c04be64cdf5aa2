using CallCenter.Core.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace CallCenter.Core.Tests.Simulation;

public sealed class ScaledTimeProviderTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);

    [Test]
    public void Simulated_time_runs_rate_times_faster_from_the_start_instant()
    {
        var real = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 2, 0, 0, TimeSpan.Zero));
        var clock = new ScaledTimeProvider(real, 60, Start);

        real.Advance(TimeSpan.FromSeconds(2));

        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start + TimeSpan.FromMinutes(2)));
    }

    [Test]
    public void A_start_written_in_local_time_is_answered_in_utc()
    {
        var clock = new ScaledTimeProvider(new FakeTimeProvider(), 10, new DateTimeOffset(2026, 11, 30, 8, 0, 0, TimeSpan.FromHours(8)));

        Assert.That(clock.GetUtcNow().Offset, Is.EqualTo(TimeSpan.Zero));
        Assert.That(clock.GetUtcNow(), Is.EqualTo(Start));
    }

    [Test]
    public void Elapsed_time_from_timestamps_is_simulated_time()
    {
        var real = new FakeTimeProvider();
        var clock = new ScaledTimeProvider(real, 30, Start);
        var started = clock.GetTimestamp();

        real.Advance(TimeSpan.FromSeconds(1));

        Assert.That(clock.GetElapsedTime(started), Is.EqualTo(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public async Task A_delay_ends_after_its_simulated_length_divided_by_the_rate()
    {
        var real = new FakeTimeProvider();
        var clock = new ScaledTimeProvider(real, 60, Start);
        var delay = Task.Delay(TimeSpan.FromMinutes(1), clock);

        real.Advance(TimeSpan.FromMilliseconds(999));
        Assert.That(delay.IsCompleted, Is.False);
        real.Advance(TimeSpan.FromMilliseconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(delay.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task A_periodic_timer_ticks_every_simulated_period()
    {
        var real = new FakeTimeProvider();
        var clock = new ScaledTimeProvider(real, 10, Start);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10), clock);

        var ticks = 0;
        for (var i = 0; i < 3; i++)
        {
            var tick = timer.WaitForNextTickAsync().AsTask();
            real.Advance(TimeSpan.FromSeconds(1));
            if (await tick.WaitAsync(TimeSpan.FromSeconds(5))) ticks++;
        }

        Assert.That(ticks, Is.EqualTo(3));
    }

    [Test]
    public void A_rate_below_one_is_refused() =>
        Assert.That(() => new ScaledTimeProvider(new FakeTimeProvider(), 0.5), Throws.InstanceOf<ArgumentOutOfRangeException>());
}
