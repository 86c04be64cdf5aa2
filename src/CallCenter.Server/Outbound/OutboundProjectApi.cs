using System.Globalization;
using System.Text;
using CallCenter.Core.Outbound;
using CallCenter.Core.Privacy;
using CallCenter.Core.Routing;
using CallCenter.Server.Audit;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.InCall;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CallCenter.Server.Outbound;

/// <summary>
/// Outbound projects: a department submits a list with a script and questions, a supervisor approves it, agents work
/// the list (each "next" dials one due customer over Twilio REST, paced, bridged to the agent), results are exported.
/// Attempts, refusals, retry delay and calling hours in the customer's zone come from <see cref="DialPlanner"/>.
/// </summary>
public static class OutboundProjectApi
{
    public sealed record ContactRequest(string? Name, string? Number, string? TimeZone);

    public sealed record ProjectRequest(string? Name, string? Department, string? Script, IReadOnlyList<string>? Questions, int? MaxAttempts,
        int? RetryDelayMinutes, IReadOnlyList<ContactRequest>? Contacts);

    public sealed record ResultRequest(string? Outcome, IReadOnlyList<string>? Answers, string? Note);

    public sealed record ProjectView(long Id, string Name, string Department, string Script, IReadOnlyList<string> Questions, int MaxAttempts,
        double RetryDelayMinutes, ProjectStatus Status, string CreatedBy, string? ApprovedBy, DateTimeOffset? ApprovedAt, int Contacts);

    /// <summary>
    /// The customer an agent is calling now: the number masked (Twilio dials it), the script and the questions. <c>callSid</c> names
    /// the call in the agent API (in-call controls, end, recording pause: <c>/api/agent/calls/{callSid}</c>); <c>twilioCallSid</c> is
    /// Twilio's SID of the customer's leg, null when Twilio did not place the call.
    /// </summary>
    public sealed record ContactView(long ContactId, string Name, string Number, ContactStatus Status, int Attempts, string Script,
        IReadOnlyList<string> Questions, string? TwilioCallSid, string? CallSid);

    /// <summary>Twilio posts the final status of every project call here (signed, like every Twilio webhook).</summary>
    public const string StatusPath = "/twilio/voice/project-call-status";

    public static IEndpointRouteBuilder MapOutboundProjects(this IEndpointRouteBuilder routes)
    {
        var projects = routes.MapGroup("/api/outbound/projects").WithTags("Outbound projects").RequireStaff();
        projects.MapPost("/", CreateAsync).WithName("OutboundProjectCreate").WithSummary("A department's project: list, script, questions.");
        projects.MapGet("/", ListAsync).WithName("OutboundProjectList").WithSummary("Projects, newest first, with their status.");
        projects.MapPost("/{projectId:long}/approve", ApproveAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("OutboundProjectApprove");
        projects.MapPost("/{projectId:long}/next", NextAsync).WithName("OutboundProjectNext")
            .WithSummary("Dial the next due customer to you; 204 when nobody may be called now.");
        projects.MapPost("/{projectId:long}/contacts/{contactId:long}/result", ResultAsync).WithName("OutboundProjectResult")
            .WithSummary("How the call went: Answered (with answers), NoAnswer, Busy, Failed or Refused.");
        routes.MapPost(StatusPath, StatusAsync)
            .AddEndpointFilter<TwilioSignatureFilter>().DisableAntiforgery().ExcludeFromDescription().WithName("TwilioProjectCallStatus");
        projects.MapGet("/{projectId:long}/export", ExportAsync).RequireStaff(StaffAuthentication.SupervisorPolicy).WithName("OutboundProjectExport")
            .WithSummary("Results per customer as CSV (numbers masked).");
        return routes;
    }

    private static async Task<Results<Created<ProjectView>, ValidationProblem>> CreateAsync(ProjectRequest request, HttpContext http,
        CallCenterDbContext db, IOptions<CallbackOptions> defaults, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200) errors["name"] = ["1 to 200 characters."];
        if (string.IsNullOrWhiteSpace(request.Department) || request.Department.Length > 100) errors["department"] = ["1 to 100 characters."];
        if (string.IsNullOrWhiteSpace(request.Script) || request.Script.Length > 8000) errors["script"] = ["1 to 8000 characters."];
        if (request.MaxAttempts is < 1 or > 10) errors["maxAttempts"] = ["1 to 10."];
        if (request.RetryDelayMinutes is < 1 or > 10080) errors["retryDelayMinutes"] = ["1 to 10080."];
        var contacts = request.Contacts ?? [];
        if (contacts.Count is 0 or > 10_000) errors["contacts"] = ["1 to 10000 customers."];
        for (var i = 0; i < contacts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(contacts[i].Name) || contacts[i].Name!.Length > 100) errors[$"contacts[{i}].name"] = ["1 to 100 characters."];
            if (contacts[i].Number is not { Length: >= 8 and <= 16 } n || !n.StartsWith('+') || !n[1..].All(char.IsAsciiDigit))
                errors[$"contacts[{i}].number"] = ["An E.164 number."];
            if (contacts[i].TimeZone is { } z && !TimeZoneInfo.TryFindSystemTimeZoneById(z, out _)) errors[$"contacts[{i}].timeZone"] = ["An IANA zone."];
        }
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Project not created");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var project = new OutboundProject
        {
            Name = request.Name!.Trim(), Department = request.Department!.Trim(), Script = request.Script!, Questions = [.. request.Questions ?? []],
            MaxAttempts = request.MaxAttempts ?? defaults.Value.MaxAttempts,
            RetryDelay = request.RetryDelayMinutes is { } m ? TimeSpan.FromMinutes(m) : defaults.Value.RetryDelay,
            Status = ProjectStatus.Submitted, CreatedBy = who, CreatedAt = now,
            Contacts = [.. contacts.Select(c => new OutboundContact { Name = c.Name!.Trim(), Number = c.Number!, TimeZone = c.TimeZone ?? defaults.Value.DefaultTimeZone })],
        };
        db.OutboundProjects.Add(project);
        await db.SaveChangesAsync(ct);
        db.OperationLog.Add(Log(now, who, "outbound.project.create", project.Id, "succeeded", $"{project.Department}: {project.Name}, {contacts.Count} customers"));
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/api/outbound/projects/{project.Id}", View(project));
    }

    private static async Task<Ok<List<ProjectView>>> ListAsync(CallCenterDbContext db, CancellationToken ct)
    {
        var rows = await db.OutboundProjects.AsNoTracking().OrderByDescending(p => p.Id).Take(200)
            .Select(p => new { Project = p, Contacts = db.OutboundContacts.Count(c => c.ProjectId == p.Id) }).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(r => View(r.Project) with { Contacts = r.Contacts }).ToList());
    }

    private static async Task<Results<Ok<ProjectView>, ProblemHttpResult>> ApproveAsync(long projectId, HttpContext http, CallCenterDbContext db,
        TimeProvider clock, CancellationToken ct)
    {
        var project = await db.OutboundProjects.Include(p => p.Contacts).SingleOrDefaultAsync(p => p.Id == projectId, ct);
        if (project is null) return NoProject(projectId);
        if (project.Status != ProjectStatus.Submitted)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Project not awaiting approval", detail: $"Project {projectId} is {project.Status}.");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        (project.Status, project.ApprovedBy, project.ApprovedAt) = (ProjectStatus.Approved, who, now);
        db.OperationLog.Add(Log(now, who, "outbound.project.approve", projectId, "succeeded", null));
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(View(project));
    }

    private static async Task<Results<Ok<ContactView>, NoContent, ProblemHttpResult>> NextAsync(long projectId, HttpContext http, CallCenterDbContext db,
        AcdHost acd, ITwilioCallControl twilio, ITwilioConferenceControl conference, ICallEventLog callLog, TwilioCallPacer pacer,
        IOptions<TwilioOptions> twilioOptions, IOptions<OutboundOptions> outbound, TimeProvider clock, CancellationToken ct)
    {
        var who = http.User.WorkNumber();
        // Asking for the next customer says the last call's wrap-up is done; then the agent must be free to take a call.
        await acd.CompleteWrapUpIfRunningAsync(who, ct);
        if (await acd.AgentAsync(who, ct) is { State: not AgentState.Available } me) return NotAvailable(me.State);
        var now = clock.GetUtcNow();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var project = await db.OutboundProjects.FromSql($"SELECT * FROM outbound_projects WHERE id = {projectId} FOR UPDATE").SingleOrDefaultAsync(ct);
        if (project is null) return NoProject(projectId);
        if (project.Status != ProjectStatus.Approved)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Project not approved",
                detail: $"Project {projectId} is {project.Status}; nobody is called before a supervisor approves it.");
        if (await db.OutboundContacts.AnyAsync(c => c.ProjectId == projectId && c.LockedBy == who, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Result outstanding", detail: "Record the result of your current customer first.");
        var rules = new DialRules(project.MaxAttempts, project.RetryDelay, outbound.Value.Hours());
        var open = await db.OutboundContacts.Include(c => c.Attempts).Where(c => c.ProjectId == projectId && c.Status == ContactStatus.Open && c.LockedBy == null)
            .OrderBy(c => c.Id).ToListAsync(ct);
        var contact = open.FirstOrDefault(c => DialPlanner.Next(rules, c.History, TimeZoneInfo.FindSystemTimeZoneById(c.TimeZone), now) is DialDecision.DialNow);
        if (contact is null) return TypedResults.NoContent();
        // The attempt is written before the call is placed: its id names the call (ProjectCalls.Key) in the ACD and the call log.
        var attempt = new ContactAttempt { ContactId = contact.Id, At = now, Agent = who };
        contact.Attempts.Add(attempt);
        contact.LockedBy = who;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);

        var key = ProjectCalls.Key(attempt.Id);
        try
        {
            // OnCall before anything is dialled, so no caller is offered to the agent while the customer's phone rings.
            await acd.StartOutboundCallAsync(who, key, outbound.Value.Queue, CancellationToken.None);
        }
        catch (IllegalTransitionException)
        {
            // A caller was offered to the agent since the check above: the customer is not called now.
            contact.Attempts.Remove(attempt);
            db.Remove(attempt);
            contact.LockedBy = null;
            await db.SaveChangesAsync(CancellationToken.None);
            return NotAvailable((await acd.AgentAsync(who, CancellationToken.None)).State);
        }

        string? sid = null;
        try
        {
            await pacer.AcquireAsync(ct);
            var baseUrl = twilioOptions.Value.PublicBaseUrl!.ToString().TrimEnd('/');
            // Bridged like a queued caller (src/CallCenter.Server/InCall): the customer joins the call's own conference, where the
            // agent's softphone is dialled in at once; the agent has the in-call controls, and the customer's leg is recorded.
            sid = await twilio.PlaceCallAsync(contact.Number, outbound.Value.CallerId,
                TwilioCallControl.ConferenceTwiml(key, new Uri(baseUrl + ConferenceStatusWebhook.Path)),
                new Uri(string.Create(CultureInfo.InvariantCulture, $"{baseUrl}{StatusPath}?project={projectId}&contact={contact.Id}")), ct,
                recordingStatusCallback: new Uri(baseUrl + TwilioCallControl.RecordingCallbackPath));
            if (sid is not null && !await PlacedCallBridge.DialAgentAsync(conference, callLog, key, outbound.Value.CallerId, who, sid, now))
                sid = null;
        }
        finally
        {
            // A call Twilio would not place (or a request given up) counts as a failed attempt, as for callbacks; the agent is free
            // for the next customer at once.
            attempt.TwilioCallSid = sid;
            if (sid is null)
            {
                attempt.Outcome = DialOutcome.Failed;
                (contact.LockedBy, contact.Status) = (null, contact.StandingAfterAttempts(project.MaxAttempts));
            }
            await db.SaveChangesAsync(CancellationToken.None);
            if (sid is null)
            {
                await acd.CallEndedAsync(key, CancellationToken.None);
                await acd.CompleteWrapUpIfRunningAsync(who, CancellationToken.None);
            }
        }
        return TypedResults.Ok(ContactOf(contact, project, sid, key));
    }

    // Twilio's final status of a project call: fills in the attempt once (replays change nothing); see DialSettlement.
    private static async Task<IResult> StatusAsync(HttpRequest request, long? project, long? contact, CallCenterDbContext db, AcdHost acd,
        ITwilioConferenceControl conference, TimeProvider clock, CallCenterTelemetry telemetry, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct);
        var callSid = form["CallSid"].ToString();
        var status = form["CallStatus"].ToString();
        if (TwilioDialStatus.Outcome(status) is not { } outcome || project is null || contact is null || callSid.Length == 0)
        {
            telemetry.Webhooks.Add(1, new("route", "project-call-status"), new("outcome", "ignored"));
            return TypedResults.NoContent();
        }
        var seconds = int.TryParse(form["CallDuration"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : (int?)null;
        var settled = await DialSettlement.SettleProjectCallAsync(db, acd, conference, project.Value, contact.Value, callSid, status, outcome, seconds,
            clock.GetUtcNow(), ct);
        telemetry.Webhooks.Add(1, new("route", "project-call-status"), new("outcome", settled ? status : "duplicate"));
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<ContactView>, ValidationProblem, ProblemHttpResult>> ResultAsync(long projectId, long contactId,
        ResultRequest request, HttpContext http, CallCenterDbContext db, AcdHost acd, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Enum.TryParse<DialOutcome>(request.Outcome, ignoreCase: true, out var outcome) || int.TryParse(request.Outcome, out _))
            errors["outcome"] = [$"One of {string.Join(", ", Enum.GetNames<DialOutcome>())}."];
        if (request.Note is { Length: > 2000 }) errors["note"] = ["At most 2000 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Result not recorded");
        var who = http.User.WorkNumber();
        var now = clock.GetUtcNow();
        var project = await db.OutboundProjects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == projectId, ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var contact = await db.OutboundContacts.FromSql($"SELECT * FROM outbound_contacts WHERE id = {contactId} AND project_id = {projectId} FOR UPDATE")
            .Include(c => c.Attempts).SingleOrDefaultAsync(ct);
        if (project is null || contact is null) return NoProject(projectId);
        if (contact.LockedBy != who)
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not your customer", detail: $"Customer {contactId} is not being called by you.");
        // The attempt of the call the agent is on; one only without a placed call (an older client recording by hand).
        var attempt = contact.Attempts.Where(a => a.Agent == who).MaxBy(a => a.Id);
        // The result is the call's wrap-up: it comes once the call is over, as the outcome may still change while it lasts.
        if (attempt is not null && await acd.AgentAsync(who, ct) is { State: AgentState.OnCall } me && me.CallSid == ProjectCalls.Key(attempt.Id))
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Still on the call",
                detail: $"End the call with {contact.Name} first, then record how it went.");
        if (attempt is null || (attempt.Outcome is not null && attempt.Outcome != DialOutcome.Answered))
            contact.Attempts.Add(attempt = new ContactAttempt { ContactId = contactId, At = now, Agent = who });
        (attempt.Outcome, attempt.Note) = (outcome, request.Note);
        contact.LockedBy = null;
        contact.Status = contact.StandingAfterAttempts(project.MaxAttempts);
        if (outcome == DialOutcome.Answered) contact.Answers = [.. request.Answers ?? []];
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return TypedResults.Ok(ContactOf(contact, project, null, null));
    }

    private static ContactView ContactOf(OutboundContact c, OutboundProject p, string? twilioCallSid, string? callSid) =>
        new(c.Id, c.Name, PhoneNumberMask.Mask(c.Number), c.Status, c.Attempts.Count, p.Script, p.Questions, twilioCallSid, callSid);

    private static ProblemHttpResult NotAvailable(AgentState state) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not available",
            detail: $"You are {state}: go Available to call a customer. The call is yours like any call, so no caller is offered to you meanwhile.");

    private static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportAsync(long projectId, HttpContext http, CallCenterDbContext db,
        TimeProvider clock, CancellationToken ct)
    {
        var project = await db.OutboundProjects.AsNoTracking().Include(p => p.Contacts).ThenInclude(c => c.Attempts).SingleOrDefaultAsync(p => p.Id == projectId, ct);
        if (project is null) return NoProject(projectId);
        var csv = new StringBuilder("contact,name,number,status,attempts,last_outcome,last_attempt_at");
        foreach (var q in project.Questions) csv.Append(',').Append(Quote(q));
        csv.Append('\n');
        foreach (var c in project.Contacts.OrderBy(c => c.Id))
        {
            var last = c.Attempts.OrderBy(a => a.At).LastOrDefault();
            csv.Append(CultureInfo.InvariantCulture, $"{c.Id},{Quote(c.Name)},{PhoneNumberMask.Mask(c.Number)},{c.Status},{c.Attempts.Count},{last?.Outcome},{last?.At:O}");
            for (var i = 0; i < project.Questions.Length; i++) csv.Append(',').Append(Quote(c.Answers is { } a && i < a.Length ? a[i] : ""));
            csv.Append('\n');
        }
        db.OperationLog.Add(Log(clock.GetUtcNow(), http.User.WorkNumber(), "outbound.project.export", projectId, "succeeded", $"{project.Contacts.Count} rows"));
        await db.SaveChangesAsync(ct);
        return TypedResults.Text(csv.ToString(), "text/csv; charset=utf-8");
    }

    private static string Quote(string value) => "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static ProjectView View(OutboundProject p) =>
        new(p.Id, p.Name, p.Department, p.Script, p.Questions, p.MaxAttempts, p.RetryDelay.TotalMinutes, p.Status, p.CreatedBy, p.ApprovedBy, p.ApprovedAt,
            p.Contacts.Count);

    private static OperationLogEntry Log(DateTimeOffset at, string who, string action, long projectId, string result, string? details) =>
        new() { OccurredAt = at, Operator = who, Action = action, Target = $"outbound project {projectId}", Result = result, Details = details };

    private static ProblemHttpResult NoProject(long id) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such project or customer", detail: $"Project {id} or its customer does not exist.");
}

/// <summary>How an outbound project call is named in the ACD, the call log and the agent API: by its attempt.</summary>
public static class ProjectCalls
{
    /// <summary>The call key of an attempt (<c>OB&lt;attempt id&gt;</c>); its conference is <c>call-OB&lt;attempt id&gt;</c>.</summary>
    public static string Key(long attemptId) => "OB" + attemptId.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The <c>Outbound</c> section: the caller ID of project calls and customers' calling hours.</summary>
public sealed class OutboundOptions
{
    public const string SectionName = "Outbound";

    /// <summary>The number customers see (a hotline number on the Twilio account).</summary>
    public string CallerId { get; set; } = "+862100000000";

    public TimeOnly CallFrom { get; set; } = new(9, 0);

    /// <summary>The ACD queue whose wrap-up time follows a project call (the first queue when unset); the call never waits in it.</summary>
    public string? Queue { get; set; }

    public TimeOnly CallUntil { get; set; } = new(21, 0);

    public CallingHours Hours() => new(CallFrom, CallUntil);
}
