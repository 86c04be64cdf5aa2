using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Degraded;
using CallCenter.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CallCenter.Server.Tests.Degraded;

/// <summary>
/// Found by the simulator's fault mode: behind a PostgreSQL outage the start of a call waited in one instance's spool while
/// the other instance wrote Twilio's final status; the status found no row, the late start then wrote one, and the call stayed "ringing".
/// </summary>
public sealed class CallRowOrderTests
{
    [Test]
    public async Task A_final_status_written_before_the_calls_spooled_start_still_ends_the_call_row()
    {
        var log = AssemblySetUp.Server.Services.GetRequiredService<ICallEventLog>();
        var callSid = TwilioForms.NewCallSid();
        var startedAt = CallCenterServerFactory.DefaultNow.AddMinutes(-3);
        var endedAt = CallCenterServerFactory.DefaultNow;

        await log.RecordCallAsync(new CallRowChange(callSid, endedAt, "completed", AccountSid: "AC1", From: "+8613900000007", To: "+862100000000",
            Direction: "inbound", DurationSeconds: 180), CancellationToken.None);
        await log.RecordCallAsync(new CallRowChange(callSid, startedAt, "ringing", Started: true, "AC1", "+8613900000007", "+862100000000", "inbound"),
            CancellationToken.None);
        // A status Twilio sends late (or again) never replaces the final one.
        await log.RecordCallAsync(new CallRowChange(callSid, endedAt.AddSeconds(1), "in-progress", From: "+8613900000007", To: "+862100000000"),
            CancellationToken.None);

        await using var scope = AssemblySetUp.Server.Services.CreateAsyncScope();
        var row = await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Calls.AsNoTracking().SingleAsync(c => c.CallSid == callSid);
        Assert.That((row.Status, row.StartedAt, row.EndedAt, row.DurationSeconds), Is.EqualTo(("completed", startedAt, (DateTimeOffset?)endedAt, (int?)180)));
    }

    [Test]
    public async Task A_status_without_the_calls_numbers_changes_only_an_existing_row()
    {
        var log = AssemblySetUp.Server.Services.GetRequiredService<ICallEventLog>();
        var callSid = TwilioForms.NewCallSid();

        await log.RecordCallAsync(new CallRowChange(callSid, CallCenterServerFactory.DefaultNow, "completed", DurationSeconds: 5), CancellationToken.None);

        await using var scope = AssemblySetUp.Server.Services.CreateAsyncScope();
        Assert.That(await scope.ServiceProvider.GetRequiredService<CallCenterDbContext>().Calls.AnyAsync(c => c.CallSid == callSid), Is.False);
    }
}
