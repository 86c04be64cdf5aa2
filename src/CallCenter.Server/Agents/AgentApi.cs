using System.Text.Json;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using AcdSkill = CallCenter.Core.Routing.AgentSkill;

namespace CallCenter.Server.Agents;

/// <summary>The agent console's ACD API (the logged-in work number is the agent), the supervisor's queue board and agent skill profiles.</summary>
public static class AgentApi
{
    private const int MaxTextLength = 64;
    private const int MaxNotesLength = 2000;

    /// <summary>Available, or Break with a reason.</summary>
    public sealed record AgentStateRequest(string? State, string? Reason);

    /// <summary>The agent's record of a finished call; <c>Complaint</c> opens (or fills in) a complaint ticket for the call.</summary>
    public sealed record WrapUpRequest(string? Disposition, string? ReasonFamily, bool? Resolved, string? Notes, WrapUpComplaint? Complaint = null);

    /// <summary>A complaint taken on the call: grade (Ordinary, Serious, Major), category, who, how to reach them, what happened, what they ask.</summary>
    public sealed record WrapUpComplaint(string? Grade, string? Category, string? CallerName, string? Contact, string? Event, string? Request);

    /// <summary>One skill of an agent profile, level 1 (novice) to 5 (expert).</summary>
    public sealed record SkillLevelDto(string? Skill, int Level);

    /// <summary>An agent profile: who may log in to the ACD, with which skills.</summary>
    public sealed record AgentProfile(string WorkNumber, string DisplayName, IReadOnlyList<SkillLevelDto> Skills);

    /// <summary>The call ringing at the agent: the caller's number is masked; the screen pop shows what the IVR collected.</summary>
    public sealed record OfferResponse(string CallSid, string Caller, string Queue, double WaitedSeconds, DateTimeOffset OfferedAt, DateTimeOffset RingDeadline,
        ScreenPopView ScreenPop);

    /// <summary>The agent's ACD state and since when.</summary>
    public sealed record AgentStatus(string WorkNumber, AgentState State, DateTimeOffset? Since, string? BreakReason, string? CallSid)
    {
        /// <summary>Text requests offered to or held by the agent (several at once, never beside a call).</summary>
        public IReadOnlyList<AcdTextView> Texts { get; init; } = [];
    }

    /// <summary>Position and estimated wait of a waiting call; the wait is null when it cannot be estimated.</summary>
    public sealed record EstimateResponse(string CallSid, int Position, double? EstimatedWaitSeconds, int StaffedEligibleAgents);

    public static IEndpointRouteBuilder MapAgentApi(this IEndpointRouteBuilder routes)
    {
        var agent = routes.MapGroup("/api/agent").WithTags("Agent").RequireStaff()
            .AddEndpointFilter<AcdProblemFilter>()
            .ProducesProblem(StatusCodes.Status409Conflict);
        agent.MapPost("/login", LoginAsync).WithName("AgentLogin").WithSummary("Enter the ACD with the skills of your agent profile.");
        agent.MapPost("/logout", LogoutAsync).WithName("AgentLogout").WithSummary("Leave the ACD (only when available or on a break).");
        agent.MapPost("/state", SetStateAsync).WithName("AgentSetState").WithSummary("Become Available or take a Break with a reason.");
        agent.MapGet("/me", MeAsync).WithName("AgentMe").WithSummary("Your ACD state and since when.");
        agent.MapGet("/offer", OfferAsync).WithName("AgentOffer").WithSummary("The call currently offered to you; 204 when none.");
        agent.MapPost("/offers/{callSid}/accept", AcceptAsync).WithName("AgentAcceptOffer")
            .WithSummary("Take the offered call: the caller is connected to your softphone.")
            .ProducesProblem(StatusCodes.Status502BadGateway);
        agent.MapPost("/offers/{callSid}/decline", DeclineAsync).WithName("AgentDeclineOffer").WithSummary("Refuse the offered call; you go on Break(declined).");
        agent.MapPost("/calls/{callSid}/end", EndCallAsync).WithName("AgentEndCall").WithSummary("The call is over; wrap-up starts.");
        agent.MapPost("/calls/{callSid}/wrap-up", WrapUpAsync).WithName("AgentWrapUp").WithSummary("Record the call's disposition; ends the wrap-up.");

        var acd = routes.MapGroup("/api").WithTags("ACD").RequireStaff(StaffAuthentication.SupervisorPolicy);
        acd.MapGet("/acd/queues", QueuesAsync).WithName("AcdQueues").WithSummary("Per queue: waiting calls, oldest wait, staffed and available agents.");
        acd.MapGet("/calls/{callSid}/estimate", EstimateAsync).WithName("CallEstimate").WithSummary("Position and estimated wait of a waiting call.");

        var profiles = routes.MapGroup("/api/agents").WithTags("Agent profiles").RequireStaff(StaffAuthentication.AdminPolicy);
        profiles.MapPut("/{workNumber}/skills", PutSkillsAsync).WithName("PutAgentSkills")
            .WithSummary("Create or replace an agent profile's skills; applies at the agent's next ACD login.");
        return routes;
    }

    private static async Task<Results<Ok<AgentStatus>, ProblemHttpResult>> LoginAsync(
        HttpContext http, CallCenterDbContext db, AcdHost acd, CancellationToken ct)
    {
        var workNumber = http.User.WorkNumber();
        var profile = await db.Agents.AsNoTracking().Include(a => a.Skills).SingleOrDefaultAsync(a => a.WorkNumber == workNumber, ct);
        if (profile is null)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No agent profile",
                detail: $"{workNumber} has no agent profile; an administrator must give you skills first.");
        await acd.LoginAsync(workNumber, [.. profile.Skills.Select(s => new AcdSkill(s.SkillCode, s.Proficiency))], ct);
        return TypedResults.Ok(await StatusOfAsync(acd, workNumber, ct));
    }

    private static async Task<Ok<AgentStatus>> LogoutAsync(HttpContext http, AcdHost acd, CancellationToken ct)
    {
        var workNumber = http.User.WorkNumber();
        await acd.LogoutAsync(workNumber, ct);
        return TypedResults.Ok(await StatusOfAsync(acd, workNumber, ct));
    }

    private static async Task<Results<Ok<AgentStatus>, ValidationProblem>> SetStateAsync(
        AgentStateRequest request, HttpContext http, AcdHost acd, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        AgentState? state = request.State switch
        {
            _ when string.Equals(request.State, nameof(AgentState.Available), StringComparison.OrdinalIgnoreCase) => AgentState.Available,
            _ when string.Equals(request.State, nameof(AgentState.Break), StringComparison.OrdinalIgnoreCase) => AgentState.Break,
            _ => null,
        };
        if (state is null) errors["state"] = ["state must be Available or Break."];
        var reason = request.Reason?.Trim();
        if (state == AgentState.Break && string.IsNullOrEmpty(reason)) errors["reason"] = ["A break needs a reason."];
        if (reason is { Length: > MaxTextLength }) errors["reason"] = [$"reason is at most {MaxTextLength} characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid agent state");

        var workNumber = http.User.WorkNumber();
        await acd.SetStateAsync(workNumber, state!.Value, reason, ct);
        return TypedResults.Ok(await StatusOfAsync(acd, workNumber, ct));
    }

    private static async Task<Ok<AgentStatus>> MeAsync(HttpContext http, AcdHost acd, CancellationToken ct) =>
        TypedResults.Ok(await StatusOfAsync(acd, http.User.WorkNumber(), ct));

    private static async Task<Results<Ok<OfferResponse>, NoContent>> OfferAsync(
        HttpContext http, AcdHost acd, ScreenPopBuilder screenPops, TimeProvider clock, CancellationToken ct)
    {
        if (await acd.CurrentOfferAsync(http.User.WorkNumber(), ct) is not { } offer)
            return TypedResults.NoContent();
        var pop = await screenPops.BuildAsync(offer.CallSid, ct);
        return TypedResults.Ok(new OfferResponse(offer.CallSid, pop.Caller, offer.Queue,
            Math.Round((clock.GetUtcNow() - offer.EnteredAt).TotalSeconds, 3), offer.OfferedAt, offer.RingDeadline, pop));
    }

    private static async Task<NoContent> AcceptAsync(string callSid, HttpContext http, AcdHost acd, CancellationToken ct)
    {
        await acd.AcceptAsync(http.User.WorkNumber(), callSid, ct);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> DeclineAsync(string callSid, HttpContext http, AcdHost acd, CancellationToken ct)
    {
        await acd.DeclineAsync(http.User.WorkNumber(), callSid, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> EndCallAsync(string callSid, HttpContext http, AcdHost acd, CallCenterDbContext db,
        Telephony.ITwilioConferenceControl twilio, ICallEventLog callLog, InCall.CallLocks locks, TimeProvider clock, Channels.CallSurveys surveys,
        Ivr.IvrCallHandler ivr, CancellationToken ct) =>
        await InCall.InCallApi.EndCallAsync(callSid, http.User.WorkNumber(), db, acd, twilio, callLog, locks, clock, surveys, ivr, ct) is { } refused
            ? refused
            : TypedResults.NoContent();

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> WrapUpAsync(
        string callSid, WrapUpRequest request, HttpContext http, AcdHost acd, CallCenterDbContext db, ICallEventLog callLog,
        TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var disposition = request.Disposition?.Trim();
        if (string.IsNullOrEmpty(disposition)) errors["disposition"] = ["disposition is required."];
        else if (disposition.Length > MaxTextLength) errors["disposition"] = [$"disposition is at most {MaxTextLength} characters."];
        if (request.ReasonFamily is { Length: > MaxTextLength }) errors["reasonFamily"] = [$"reasonFamily is at most {MaxTextLength} characters."];
        if (request.Notes is { Length: > MaxNotesLength }) errors["notes"] = [$"notes are at most {MaxNotesLength} characters."];
        if (request.Complaint is { } complaint)
            Complaints.ComplaintApi.ValidateWrapUp(complaint, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid wrap-up");

        var workNumber = http.User.WorkNumber();
        if ((await acd.AgentAsync(workNumber, ct)) is { State: AgentState.OnCall } me && me.CallSid == callSid)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Call still connected", detail: "End the call before wrapping it up.");
        if (!await AnsweredByAsync(db, callSid, workNumber, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not your call",
                detail: $"No call {callSid} was answered by {workNumber}.");

        var payload = CallEventPayload.Serialize(new
        {
            agent = workNumber, disposition, reasonFamily = request.ReasonFamily?.Trim(), resolved = request.Resolved ?? false, notes = request.Notes,
            // The complaint desk's intake opens the ticket from this event (src/CallCenter.Server/Complaints).
            complaint = request.Complaint,
        });
        // The agent who answered first keeps the plain step key; an agent who took the call over wraps up under their own.
        var stepKey = await FirstAnswererAsync(db, callSid, ct) == workNumber ? "agent.wrap_up" : "agent.wrap_up:" + workNumber;
        var result = await callLog.AppendAsync(new NewCallEvent(callSid, "agent.wrap_up", stepKey, clock.GetUtcNow(), payload), ct);
        if (!result.Appended)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Already wrapped up",
                detail: $"Call {callSid} already has a wrap-up; the call log is append-only.");
        await acd.CompleteWrapUpIfRunningAsync(workNumber, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<IReadOnlyList<AcdQueueView>>> QueuesAsync(AcdHost acd, CancellationToken ct) =>
        TypedResults.Ok(await acd.QueuesAsync(ct));

    private static async Task<Results<Ok<EstimateResponse>, ProblemHttpResult>> EstimateAsync(string callSid, AcdHost acd, CancellationToken ct)
    {
        if (await acd.EstimateAsync(callSid, ct) is not { } estimate)
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Call not waiting", detail: $"{callSid} is not waiting in the ACD.");
        return TypedResults.Ok(new EstimateResponse(callSid, estimate.Position, estimate.EstimatedWait?.TotalSeconds, estimate.StaffedEligibleAgents));
    }

    private static async Task<Results<Ok<AgentProfile>, ValidationProblem>> PutSkillsAsync(
        string workNumber, IReadOnlyList<SkillLevelDto> skills, CallCenterDbContext db, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(workNumber) || workNumber.Length > 32) errors["workNumber"] = ["workNumber is 1 to 32 characters."];
        for (var i = 0; i < skills.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(skills[i].Skill) || skills[i].Skill!.Length > MaxTextLength)
                errors[$"[{i}].skill"] = [$"skill is 1 to {MaxTextLength} characters."];
            if (skills[i].Level is < 1 or > SkillCatalog.MaxLevel)
                errors[$"[{i}].level"] = [$"level is 1 to {SkillCatalog.MaxLevel}."];
        }
        if (skills.Where(s => s.Skill is not null).GroupBy(s => s.Skill!.Trim(), StringComparer.OrdinalIgnoreCase).Any(g => g.Count() > 1))
            errors["skills"] = ["Each skill may appear once."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid agent skills");

        var wanted = skills.ToDictionary(s => s.Skill!.Trim(), s => s.Level, StringComparer.Ordinal);
        // New skill codes join the catalogue; ON CONFLICT because two administrators may add the same one at once.
        foreach (var code in wanted.Keys)
            await db.Database.ExecuteSqlAsync($"INSERT INTO skills (code, name) VALUES ({code}, {code}) ON CONFLICT (code) DO NOTHING", ct);

        var agent = await db.Agents.Include(a => a.Skills).SingleOrDefaultAsync(a => a.WorkNumber == workNumber, ct);
        if (agent is null)
        {
            var name = await db.StaffMembers.Where(m => m.WorkNumber == workNumber).Select(m => m.DisplayName).SingleOrDefaultAsync(ct);
            agent = new Agent { WorkNumber = workNumber, DisplayName = name ?? workNumber, CreatedAt = clock.GetUtcNow() };
            db.Agents.Add(agent);
        }
        // Updated in place: removing and re-adding a row with the same key in one unit of work is ambiguous to EF.
        agent.Skills.RemoveAll(s => !wanted.ContainsKey(s.SkillCode));
        foreach (var (code, level) in wanted)
        {
            if (agent.Skills.Find(s => s.SkillCode == code) is { } held) held.Proficiency = level;
            else agent.Skills.Add(new AgentSkill { SkillCode = code, Proficiency = level });
        }
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new AgentProfile(agent.WorkNumber, agent.DisplayName,
            [.. agent.Skills.OrderBy(s => s.SkillCode, StringComparer.Ordinal).Select(s => new SkillLevelDto(s.SkillCode, s.Proficiency))]));
    }

    private static async Task<AgentStatus> StatusOfAsync(AcdHost acd, string workNumber, CancellationToken ct)
    {
        var view = await acd.AgentAsync(workNumber, ct);
        return new AgentStatus(workNumber, view.State, view.Since, view.BreakReason, view.CallSid) { Texts = view.Texts };
    }

    // Answered it, or joined it by a transfer or a conference.
    private static async Task<bool> AnsweredByAsync(CallCenterDbContext db, string callSid, string workNumber, CancellationToken ct) =>
        (await AgentsOfAsync(db, callSid, ct)).Contains(workNumber);

    private static async Task<string?> FirstAnswererAsync(CallCenterDbContext db, string callSid, CancellationToken ct) =>
        (await AgentsOfAsync(db, callSid, ct, answeredOnly: true)).FirstOrDefault();

    private static async Task<List<string>> AgentsOfAsync(CallCenterDbContext db, string callSid, CancellationToken ct, bool answeredOnly = false)
    {
        var payloads = await db.CallEvents.AsNoTracking()
            .Where(e => e.CallSid == callSid && (e.Type == "acd.answered" || (!answeredOnly && e.Type == "acd.joined")))
            .OrderBy(e => e.CallSeq).Select(e => e.Payload).ToListAsync(ct);
        return [.. payloads.Select(p =>
        {
            using var json = JsonDocument.Parse(p);
            return json.RootElement.TryGetProperty("agent", out var agent) ? agent.GetString() ?? "" : "";
        })];
    }
}

/// <summary>Maps the ACD's refusals to problem details in one place: illegal transitions 409, a failed Twilio connect 502.</summary>
internal sealed class AcdProblemFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (IllegalTransitionException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not allowed in your current state", detail: ex.Message);
        }
        catch (CallConnectFailedException ex)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The call could not be connected",
                detail: ex.Message);
        }
    }
}
