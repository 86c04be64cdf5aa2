using System.Diagnostics;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Archive;

/// <summary>`callcenter archive …` run as a process against the harness's database and archive folder.</summary>
public sealed class ArchiveCliTests
{
    [Test]
    public async Task Verify_says_OK_until_a_file_is_corrupted_then_names_it_and_exits_1()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, _) = await h.ArchivedCallAsync(length: 80_000);
        var (ok, okOutput) = await RunCliAsync(h, "archive", "verify", "--connection", h.Database.ConnectionString);
        Assert.That((ok, okOutput), Is.EqualTo((0, $"OK: 1 recordings verified, {await EventCountAsync(h)} call events chained.\n")));

        var path = Path.Combine(h.StorageDirectory, row.StorageKey!);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);
        var (broken, output) = await RunCliAsync(h, "archive", "verify", "--connection", h.Database.ConnectionString);
        Assert.That(broken, Is.EqualTo(1));
        Assert.That(output, Does.StartWith($"CORRUPT: recording #{row.ArchiveNumber} ({row.RecordingSid})"));
    }

    [Test]
    public async Task Export_writes_the_watermarked_file_for_QA_and_refuses_an_agent_with_an_audit_row_each()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, media) = await h.ArchivedCallAsync(length: 70_000);
        var qa = await h.Server.Services.CreateStaffAsync(StaffRole.Quality);
        var agent = await h.Server.Services.CreateStaffAsync(StaffRole.Agent);
        var folder = Path.Combine(h.StorageDirectory, "..", "export-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output) = await RunCliAsync(h, "archive", "export", "--call", row.CallSid, "--as", qa, "--out", folder, "--connection", h.Database.ConnectionString);
            Assert.That(code, Is.Zero, output);
            var file = Directory.GetFiles(folder).Single();
            Assert.That(Path.GetFileName(file), Does.StartWith($"{row.ArchiveNumber:D10}_{row.CallSid}_exported-by-{qa}_"));
            Assert.That(await File.ReadAllBytesAsync(file), Is.EqualTo(media));

            var (refused, _) = await RunCliAsync(h, "archive", "export", "--call", row.CallSid, "--as", agent, "--out", folder, "--connection", h.Database.ConnectionString);
            Assert.That(refused, Is.EqualTo(3));
            Assert.That(Directory.GetFiles(folder), Has.Length.EqualTo(1));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        await using var cmd = h.Database.DataSource.CreateCommand("SELECT work_number, result FROM recording_access_log WHERE action = 'export' ORDER BY id");
        await using var r = await cmd.ExecuteReaderAsync();
        var log = new List<(string, string)>();
        while (await r.ReadAsync()) log.Add((r.GetString(0), r.GetString(1)));
        Assert.That(log, Is.EqualTo(new[] { (qa, "allowed"), (agent, "refused") }));
    }

    [Test]
    public async Task Retention_dry_run_counts_what_five_years_would_destroy_and_destroys_nothing()
    {
        await using var h = await ArchiveHarness.StartAsync();
        var (row, _) = await h.ArchivedCallAsync(length: 5_000);
        var later = row.RetainUntil.AddDays(1).ToString("o");
        var (code, output) = await RunCliAsync(h, "archive", "retention", "--dry-run", "--at", later, "--connection", h.Database.ConnectionString);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("would destroy 1 recordings; 0 past their date kept by legal holds"));
        Assert.That(output, Does.Contain($"archive numbers: {row.ArchiveNumber}"));
        Assert.That(h.FilesOf(row.RecordingSid), Has.Length.EqualTo(1));
    }

    private static async Task<long> EventCountAsync(ArchiveHarness h)
    {
        await using var cmd = h.Database.DataSource.CreateCommand("SELECT count(*) FROM call_events");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task<(int ExitCode, string Output)> RunCliAsync(ArchiveHarness h, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "callcenter.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["Archive__StorageDirectory"] = h.StorageDirectory;
        start.Environment["Archive__MasterKeys__k1"] = ArchiveHarness.MasterKey;
        start.Environment["Archive__ActiveKeyId"] = "k1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stderr + await stdout);
    }
}
