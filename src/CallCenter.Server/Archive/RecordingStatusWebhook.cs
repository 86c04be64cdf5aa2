using System.Globalization;
using System.Text.RegularExpressions;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Npgsql;

namespace CallCenter.Server.Archive;

/// <summary>
/// Twilio's recordingStatusCallback: a completed recording becomes a durable archive job (one per RecordingSid,
/// so Twilio's retries change nothing), and the ingest worker is woken.
/// </summary>
internal static partial class RecordingStatusWebhook
{
    public const string Path = TwilioCallControl.RecordingCallbackPath;

    [GeneratedRegex("^RE[0-9a-fA-F]{32}$")]
    private static partial Regex RecordingSidPattern();

    public static IEndpointRouteBuilder MapRecordingStatusWebhook(this IEndpointRouteBuilder routes)
    {
        routes.MapPost(Path, HandleAsync)
            .AddEndpointFilter<TwilioSignatureFilter>()
            .DisableAntiforgery()
            .ExcludeFromDescription()
            .WithName("TwilioRecordingStatus");
        return routes;
    }

    private static async Task<IResult> HandleAsync(HttpRequest request, NpgsqlDataSource dataSource, IngestSignal signal,
        TimeProvider clock, CallCenterTelemetry telemetry, ILogger<ArchiveIngestor> logger, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var errors = new Dictionary<string, string[]>();
        var callSid = VoiceWebhookForm.CallSid(form, errors);
        var recordingSid = VoiceWebhookForm.Required(form, "RecordingSid", errors);
        if (recordingSid is not null && !RecordingSidPattern().IsMatch(recordingSid))
            errors["RecordingSid"] = ["RecordingSid must be 'RE' followed by 32 hexadecimal digits."];
        var status = VoiceWebhookForm.Required(form, "RecordingStatus", errors);
        var duration = Integer(form, "RecordingDuration", errors);
        var channels = Integer(form, "RecordingChannels", errors) ?? 1;
        if (errors.Count > 0 || callSid is null || recordingSid is null)
        {
            telemetry.Webhooks.Add(1, new("route", "recording"), new("outcome", "invalid"));
            return TypedResults.ValidationProblem(errors, title: "Malformed Twilio recording status callback");
        }
        if (status != "completed")
        {
            // "absent" or "failed": there is nothing to fetch; the gap is in the logs, and Twilio needs no retry.
            logger.LogWarning("Recording {RecordingSid} of call {CallSid} ended as {Status}; nothing to archive", recordingSid, callSid, status);
            telemetry.Webhooks.Add(1, new("route", "recording"), new("outcome", status));
            return TypedResults.NoContent();
        }

        var now = clock.GetUtcNow();
        var startedAt = DateTimeOffset.TryParse(form["RecordingStartTime"].ToString(), CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var s) ? s : now;
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO archive_jobs (recording_sid, call_sid, account_sid, recording_started_at, duration_seconds, channels,
                                      state, attempts, next_attempt_at, created_at)
            VALUES (@sid, @call, @account, @started, @duration, @channels, 'pending', 0, @now, @now)
            ON CONFLICT (recording_sid) DO NOTHING
            """);
        cmd.Parameters.AddWithValue("sid", recordingSid);
        cmd.Parameters.AddWithValue("call", callSid);
        cmd.Parameters.AddWithValue("account", form["AccountSid"].ToString());
        cmd.Parameters.AddWithValue("started", startedAt);
        cmd.Parameters.AddWithValue("duration", duration ?? 0);
        cmd.Parameters.AddWithValue("channels", channels);
        cmd.Parameters.AddWithValue("now", now);
        var added = await cmd.ExecuteNonQueryAsync(ct) == 1;
        telemetry.Webhooks.Add(1, new("route", "recording"), new("outcome", added ? "queued" : "duplicate"));
        if (added) signal.Wake();
        return TypedResults.NoContent();
    }

    private static int? Integer(IFormCollection form, string name, Dictionary<string, string[]> errors)
    {
        var text = form[name].ToString();
        if (text.Length == 0) return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return value;
        errors[name] = [$"{name} must be a whole number."];
        return null;
    }
}
