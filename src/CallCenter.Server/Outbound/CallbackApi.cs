using CallCenter.Core.Outbound;
using CallCenter.Core.Privacy;
using CallCenter.Server.Audit;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Outbound;

/// <summary>Agents' promised callbacks, the callback list, and Twilio's status callback for each dialled attempt.</summary>
public static class CallbackApi
{
    /// <summary>A promise made on a call: call the caller back on <c>CallSid</c>'s number within the window.</summary>
    public sealed record PromiseRequest(string? CallSid, string? Queue, DateTimeOffset? WindowFrom, DateTimeOffset? WindowTo, string? TimeZone);

    /// <summary>A callback with its number masked.</summary>
    /// <summary>
    /// A callback with its number masked. <c>MessageArchiveNumber</c> is the caller's recorded message once archived: the
    /// agent who took the callback (and supervisors, QA) play it at <c>/api/archive/recordings/{n}/audio</c>, audited.
    /// </summary>
    public sealed record CallbackView(string Id, CallbackKind Kind, string? OriginCallSid, string Number, string Queue, DateTimeOffset EnteredAt,
        DateTimeOffset? WindowFrom, DateTimeOffset? WindowTo, CallbackStatus Status, DateTimeOffset? NextAttemptAt, string? Agent, string? Outcome,
        int Attempts, long? MessageArchiveNumber, IReadOnlyList<AttemptView> AttemptList);

    /// <summary>One dialled attempt of a callback.</summary>
    public sealed record AttemptView(int Number, DateTimeOffset At, string Agent, DialOutcome? Outcome, int? DurationSeconds);

    public static IEndpointRouteBuilder MapCallbacks(this IEndpointRouteBuilder routes)
    {
        var callbacks = routes.MapGroup("/api/callbacks").WithTags("Callbacks").RequireStaff();
        callbacks.MapPost("/", PromiseAsync).WithName("CallbackPromise")
            .WithSummary("Promise the caller of a call you answered a callback within a time window; the ACD routes it when the window opens.");
        callbacks.MapGet("/", ListAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("CallbackList")
            .WithSummary("Callbacks, oldest entry first; ?status=Pending.");
        callbacks.MapGet("/{callbackId}", GetAsync).WithName("CallbackGet")
            .WithSummary("One callback: to the agent who took it, and to supervisors; with the archive number of the caller's message.");
        routes.MapPost(CallbackDialler.StatusPath, StatusAsync)
            .AddEndpointFilter<TwilioSignatureFilter>().DisableAntiforgery().ExcludeFromDescription().WithName("TwilioCallbackStatus");
        routes.MapOutboundProjects();
        return routes;
    }

    private static async Task<Results<Created<CallbackView>, ValidationProblem, ProblemHttpResult>> PromiseAsync(
        PromiseRequest request, HttpContext http, CallCenterDbContext db, AcdHost acd, IOptions<CallbackOptions> options, TimeProvider clock,
        CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var now = clock.GetUtcNow();
        if (string.IsNullOrWhiteSpace(request.CallSid)) errors["callSid"] = ["Required: the call the promise was made on."];
        var queue = request.Queue ?? acd.QueueNames[0];
        if (!acd.QueueNames.Contains(queue)) errors["queue"] = [$"One of {string.Join(", ", acd.QueueNames)}."];
        if (request.WindowFrom is null || request.WindowTo is null) errors["window"] = ["windowFrom and windowTo are required."];
        else if (request.WindowTo <= request.WindowFrom || request.WindowTo <= now) errors["window"] = ["The window must end after it starts, in the future."];
        var zone = request.TimeZone ?? options.Value.DefaultTimeZone;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _)) errors["timeZone"] = ["An IANA time zone, e.g. Asia/Shanghai."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Callback not promised");

        var who = http.User.WorkNumber();
        var call = await db.Calls.AsNoTracking().SingleOrDefaultAsync(c => c.CallSid == request.CallSid, ct);
        if (call is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such call", detail: $"No call {request.CallSid}.");
        var callback = new Callback
        {
            Id = CallbackWorker.NewId(), Kind = CallbackKind.Promised, OriginCallSid = call.CallSid, Number = call.FromNumber, LineNumber = call.ToNumber,
            Queue = queue, EnteredAt = now, WindowFrom = request.WindowFrom!.Value.ToUniversalTime(), WindowTo = request.WindowTo!.Value.ToUniversalTime(),
            TimeZone = zone, Status = CallbackStatus.Pending, NextAttemptAt = request.WindowFrom.Value.ToUniversalTime(), CreatedBy = who, CreatedAt = now,
        };
        db.Callbacks.Add(callback);
        db.OperationLog.Add(new OperationLogEntry { OccurredAt = now, Operator = who, Action = "callback.promise", Target = $"callback {callback.Id}",
            Result = "succeeded", Details = $"call {call.CallSid}, {callback.WindowFrom:O}–{callback.WindowTo:O}" });
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/callbacks/{callback.Id}", View(callback, []));
    }

    private static async Task<Ok<List<CallbackView>>> ListAsync(string? status, CallCenterDbContext db, CancellationToken ct)
    {
        var query = db.Callbacks.AsNoTracking().Include(c => c.Attempts).AsQueryable();
        if (Enum.TryParse<CallbackStatus>(status, ignoreCase: true, out var s)) query = query.Where(c => c.Status == s);
        var list = await query.OrderBy(c => c.EnteredAt).Take(500).ToListAsync(ct);
        var messages = await MessagesAsync(db, list, ct);
        return TypedResults.Ok(list.Select(c => View(c, messages)).ToList());
    }

    private static async Task<Results<Ok<CallbackView>, ProblemHttpResult>> GetAsync(string callbackId, HttpContext http, CallCenterDbContext db,
        CancellationToken ct)
    {
        var callback = await db.Callbacks.AsNoTracking().Include(c => c.Attempts).SingleOrDefaultAsync(c => c.Id == callbackId, ct);
        if (callback is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such callback", detail: $"No callback {callbackId}.");
        if (callback.Agent != http.User.WorkNumber() && !http.User.IsInRole(nameof(StaffRole.Supervisor)) && !http.User.IsInRole(nameof(StaffRole.Admin)))
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not your callback",
                detail: "Only the agent who took a callback, and supervisors, see it.");
        return TypedResults.Ok(View(callback, await MessagesAsync(db, [callback], ct)));
    }

    /// <summary>Whether <paramref name="archiveNumber"/> is the message of a callback <paramref name="agent"/> took: then the agent may play it.</summary>
    public static Task<bool> IsMessageOfAgentsCallbackAsync(CallCenterDbContext db, string agent, long archiveNumber, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        return db.Callbacks.AnyAsync(c => c.Agent == agent && c.MessageRecordingSid != null
            && db.ArchivedRecordings.Any(r => r.ArchiveNumber == archiveNumber && r.RecordingSid == c.MessageRecordingSid), ct);
    }

    // Archive numbers of the callers' messages archived so far, by recording SID.
    private static async Task<Dictionary<string, long>> MessagesAsync(CallCenterDbContext db, IReadOnlyList<Callback> callbacks, CancellationToken ct)
    {
        var sids = callbacks.Where(c => c.MessageRecordingSid is not null).Select(c => c.MessageRecordingSid!).ToList();
        if (sids.Count == 0) return [];
        return await db.ArchivedRecordings.AsNoTracking().Where(r => sids.Contains(r.RecordingSid))
            .ToDictionaryAsync(r => r.RecordingSid, r => r.ArchiveNumber, ct);
    }

    // Twilio's final status of one dialled attempt; replays and unknown attempts change nothing.
    private static async Task<IResult> StatusAsync(HttpRequest request, string? callback, CallCenterDbContext db, AcdHost acd, ICallEventLog callLog,
        TimeProvider clock, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var status = form["CallStatus"].ToString();
        if (callback is null || TwilioDialStatus.Outcome(status) is not { } outcome) return TypedResults.NoContent();
        await DialSettlement.SettleCallbackAsync(db, acd, callLog, callback, form["CallSid"].ToString(), status, outcome,
            int.TryParse(form["CallDuration"], out var seconds) ? seconds : null, SettledBy.StatusCallback, clock.GetUtcNow(), ct);
        return TypedResults.NoContent();
    }

    private static CallbackView View(Callback c, Dictionary<string, long> messages) =>
        new(c.Id, c.Kind, c.OriginCallSid, PhoneNumberMask.Mask(c.Number), c.Queue, c.EnteredAt, c.WindowFrom, c.WindowTo, c.Status, c.NextAttemptAt,
            c.Agent, c.Outcome, c.Attempts.Count, c.MessageRecordingSid is { } sid && messages.TryGetValue(sid, out var n) ? n : null,
            [.. c.Attempts.OrderBy(a => a.Number).Select(a => new AttemptView(a.Number, a.At, a.Agent, a.Outcome, a.DurationSeconds))]);
}
