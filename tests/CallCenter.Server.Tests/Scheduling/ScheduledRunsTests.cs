using CallCenter.Server.Scheduling;
using CallCenter.Testing;
using Microsoft.Extensions.Time.Testing;

namespace CallCenter.Server.Tests.Scheduling;

/// <summary>Two instances share one database; each periodic job runs once per period across both.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)] // tests run in parallel: each gets its own database and clock
public sealed class ScheduledRunsTests
{
    private static readonly TimeSpan Day = TimeSpan.FromDays(1);
    private TestDatabase _db = null!;
    private FakeTimeProvider _clock = null!;

    [SetUp]
    public async Task SetUp()
    {
        _db = await TestDatabase.CreateAsync("scheduled_runs");
        _clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 2, 0, 0, TimeSpan.Zero));
    }

    [TearDown]
    public async Task TearDown() => await _db.DisposeAsync();

    private ScheduledRuns Instance() => new(_db.DataSource, _clock);

    [Test]
    public async Task Two_instances_asking_at_once_start_the_job_once()
    {
        var (first, second) = (Instance(), Instance());
        var claims = await Task.WhenAll(Enumerable.Range(0, 20)
            .Select(i => (i % 2 == 0 ? first : second).TryStartAsync("maintenance", Day, Day, CancellationToken.None)));

        Assert.That(claims.Count(c => c is not null), Is.EqualTo(1));
    }

    [Test]
    public async Task A_finished_job_is_not_due_again_until_its_period_has_passed_on_any_instance()
    {
        var (first, second) = (Instance(), Instance());
        var runs = 0;
        Task Work(CancellationToken _) { runs++; return Task.CompletedTask; }

        Assert.That(await first.RunIfDueAsync("maintenance", Day, Work, CancellationToken.None), Is.True);
        _clock.Advance(TimeSpan.FromHours(12));
        Assert.That(await second.RunIfDueAsync("maintenance", Day, Work, CancellationToken.None), Is.False);
        _clock.Advance(TimeSpan.FromHours(12));
        Assert.That(await second.RunIfDueAsync("maintenance", Day, Work, CancellationToken.None), Is.True);
        Assert.That(await first.RunIfDueAsync("maintenance", Day, Work, CancellationToken.None), Is.False);

        Assert.That(runs, Is.EqualTo(2));
    }

    [Test]
    public async Task A_lease_left_by_a_dead_holder_is_taken_over_and_the_old_holder_cannot_finish_over_it()
    {
        var (dead, alive) = (Instance(), Instance());
        var stale = await dead.TryStartAsync("replication", TimeSpan.FromHours(1), TimeSpan.FromMinutes(10), CancellationToken.None);
        Assert.That(await alive.TryStartAsync("replication", TimeSpan.FromHours(1), TimeSpan.FromMinutes(10), CancellationToken.None), Is.Null,
            "the lease is still live");

        _clock.Advance(TimeSpan.FromMinutes(10));
        var takeover = await alive.TryStartAsync("replication", TimeSpan.FromHours(1), TimeSpan.FromMinutes(10), CancellationToken.None);

        Assert.That(takeover, Is.Not.Null);
        Assert.That(takeover!.FencingToken, Is.GreaterThan(stale!.FencingToken));
        Assert.That(await dead.FinishAsync(stale, CancellationToken.None), Is.False, "a fenced-off holder's finish is ignored");
        Assert.That(await alive.FinishAsync(takeover, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task A_failed_run_frees_the_lease_so_the_next_instance_retries_at_once()
    {
        var (failing, healthy) = (Instance(), Instance());

        Assert.That(async () => await failing.RunIfDueAsync("maintenance", Day, _ => throw new IOException("disk gone"), CancellationToken.None),
            Throws.TypeOf<IOException>());

        Assert.That(await healthy.RunIfDueAsync("maintenance", Day, _ => Task.CompletedTask, CancellationToken.None), Is.True);
    }
}
