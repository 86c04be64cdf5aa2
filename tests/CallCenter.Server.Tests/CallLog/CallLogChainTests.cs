using System.Diagnostics;
using CallCenter.Server.CallLog;
using CallCenter.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace CallCenter.Server.Tests.CallLog;

public sealed class CallLogChainTests
{
    [Test]
    public async Task Concurrent_calls_build_one_unbroken_numbered_chain()
    {
        var twilio = AssemblySetUp.Server.CreateTwilioClient();
        var sids = Enumerable.Range(0, 60).Select(_ => TwilioForms.NewCallSid()).ToList();

        await Task.WhenAll(sids.Select(async sid =>
        {
            using var incoming = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));
            using var status = await twilio.PostSignedAsync("/twilio/voice/status", TwilioForms.Status(sid, "completed", 5));
        }));

        var report = await CallEventChainAudit.VerifyAsync(AssemblySetUp.Server.Database.DataSource, CancellationToken.None);
        Assert.That(report.FirstViolation, Is.Null);
        Assert.That(report.EventsChecked, Is.GreaterThanOrEqualTo(120));
    }

    [Test]
    public async Task The_same_step_delivered_twice_at_once_is_written_once_and_both_callers_get_its_number()
    {
        var log = AssemblySetUp.Server.Services.GetRequiredService<ICallEventLog>();
        var sid = TwilioForms.NewCallSid();
        var e = new NewCallEvent(sid, "test.step", "step-1", AssemblySetUp.Server.Clock.GetUtcNow(), "{}");

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => log.AppendAsync(e, CancellationToken.None)));

        Assert.That(results.Count(r => r.Appended), Is.EqualTo(1));
        Assert.That(results.Select(r => r.GlobalSeq).Distinct().Count(), Is.EqualTo(1));
        Assert.That(results.Select(r => r.CallSeq), Is.All.EqualTo(1));
    }

    [Test]
    public async Task A_batch_holding_a_replay_of_a_stored_step_writes_only_its_new_events_with_the_stored_numbers_for_the_replay()
    {
        var sid = TwilioForms.NewCallSid();
        var other = TwilioForms.NewCallSid();
        var first = await AppendDirectAsync([(sid, "step-1")]);

        // A new call, the replay, the call's next step, and the new call's step delivered twice: the optimistic insert meets the
        // stored step-1, and the batch is numbered again against it.
        var batch = await AppendDirectAsync([(other, "step-a"), (sid, "step-1"), (sid, "step-2"), (other, "step-a")]);

        Assert.That(first[0].Appended, Is.True);
        Assert.That(batch.Select(r => r.Appended), Is.EqualTo(new[] { true, false, true, false }));
        Assert.That(batch[1].GlobalSeq, Is.EqualTo(first[0].GlobalSeq));
        Assert.That(batch.Select(r => r.CallSeq), Is.EqualTo(new[] { 1, 1, 2, 1 }));
        Assert.That(batch[3].GlobalSeq, Is.EqualTo(batch[0].GlobalSeq));
        Assert.That(batch[2].GlobalSeq, Is.GreaterThan(batch[0].GlobalSeq));
        await using var count = AssemblySetUp.Server.Database.DataSource.CreateCommand(
            $"SELECT count(*) FROM call_events WHERE call_sid IN ('{sid}', '{other}')");
        Assert.That(await count.ExecuteScalarAsync(), Is.EqualTo(3L));
        var report = await CallEventChainAudit.VerifyAsync(AssemblySetUp.Server.Database.DataSource, CancellationToken.None);
        Assert.That(report.FirstViolation, Is.Null);
    }

    [Test]
    public async Task The_database_refuses_to_edit_or_delete_a_call_event()
    {
        var sid = TwilioForms.NewCallSid();
        using var _ = await AssemblySetUp.Server.CreateTwilioClient().PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));
        await using var update = AssemblySetUp.Server.Database.DataSource.CreateCommand(
            $"UPDATE call_events SET type = 'forged' WHERE call_sid = '{sid}'");

        var ex = Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());

        Assert.That(ex?.MessageText, Does.Contain("append-only"));
    }

    [Test]
    [NonParallelizable] // Owns a database of its own and spawns the CLI; parallel runs would only slow it.
    public async Task The_verify_command_names_the_first_altered_row()
    {
        await using var database = await TestDatabase.CreateAsync("tamper");
        await using (var server = new CallCenterServerFactory(database))
        {
            var twilio = server.CreateTwilioClient();
            foreach (var sid in Enumerable.Range(0, 5).Select(_ => TwilioForms.NewCallSid()))
            {
                using var response = await twilio.PostSignedAsync("/twilio/voice/incoming", TwilioForms.Incoming(sid));
            }
        }
        await using var count = database.DataSource.CreateCommand("SELECT count(*) FROM call_events");
        var stored = (long)(await count.ExecuteScalarAsync())!;
        var intact = await RunCliAsync("events", "verify", "--connection", database.ConnectionString);
        Assert.That(intact.ExitCode, Is.EqualTo(0), intact.Output);
        Assert.That(intact.Output, Does.Contain($"OK: {stored} events"));

        // A tamperer with superuser rights gets past the trigger; the chain still shows the edit.
        await using (var tamper = database.DataSource.CreateCommand("""
            ALTER TABLE call_events DISABLE TRIGGER call_events_no_update_or_delete;
            UPDATE call_events SET payload = '{"from":"+86139****0000"}' WHERE global_seq = 3;
            """))
        {
            await tamper.ExecuteNonQueryAsync();
        }
        var broken = await RunCliAsync("events", "verify", "--connection", database.ConnectionString);

        Assert.That(broken.ExitCode, Is.EqualTo(1));
        Assert.That(broken.Output, Does.Contain("BROKEN: event #3").And.Contain("content altered"));
    }

    // One call of the database function with these entries as one batch, as the writer sends it.
    private static async Task<List<AppendResult>> AppendDirectAsync(IReadOnlyList<(string Sid, string Key)> entries)
    {
        await using var append = AssemblySetUp.Server.Database.DataSource.CreateCommand(
            "SELECT global_seq, call_seq, appended FROM append_call_events($1, $2, $3, $4, $5) ORDER BY idx");
        append.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Sid)] });
        append.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(_ => "test.step")] });
        append.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(e => e.Key)] });
        append.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. entries.Select(_ => DateTimeOffset.UnixEpoch)] });
        append.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. entries.Select(_ => "{}")] });
        var results = new List<AppendResult>();
        await using var reader = await append.ExecuteReaderAsync();
        while (await reader.ReadAsync()) results.Add(new AppendResult(reader.GetInt64(0), reader.GetInt32(1), reader.GetBoolean(2)));
        return results;
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "callcenter.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
