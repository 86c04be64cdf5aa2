using System.Text.Json;
using CallCenter.Core.InCall;
using CallCenter.Core.Privacy;
using CallCenter.Core.Routing;
using CallCenter.Server.CallLog;
using CallCenter.Server.Data;
using CallCenter.Server.Degraded;
using CallCenter.Server.Routing;
using CallCenter.Server.Staff;
using CallCenter.Server.Telemetry;
using CallCenter.Server.Telephony;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Twilio.TwiML;
using TwilioVoice = Twilio.TwiML.Voice;

namespace CallCenter.Server.InCall;

/// <summary>
/// The agent's in-call controls over the call's Twilio conference: hold, mute, warm and cold transfers to an agent, a
/// queue or an outside number, three-way calls, the DTMF pad, and rejoining after the softphone dropped. Every command is
/// checked against the call's state (folded from the call log) and the agent's permission level before Twilio is asked;
/// Twilio acts before the call log records it, so a refusal (400/403/404/409) or a Twilio failure (502) changes nothing.
/// </summary>
public static class InCallApi
{
    private const int MaxReasonLength = 200;

    /// <summary>Why the caller is held or passed on (optional, kept in the call log).</summary>
    public sealed record ReasonRequest(string? Reason);

    /// <summary>
    /// A transfer: <c>mode</c> Warm (consult first, caller held) or Cold (at once); <c>targetKind</c> Agent (work number),
    /// Queue (ACD queue name) or Number (E.164).
    /// </summary>
    public sealed record TransferRequest(string? Mode, string? TargetKind, string? Target, string? Reason);

    /// <summary>A party to add to the call: <c>targetKind</c> Agent or Number.</summary>
    public sealed record PartyRequest(string? TargetKind, string? Target);

    /// <summary>DTMF digits for the outside party: 0–9, *, #, and w for a half-second pause.</summary>
    public sealed record DigitsRequest(string? Digits);

    /// <summary>One party on the call besides the caller and the owner; outside numbers are masked.</summary>
    public sealed record PartyView(string Label, string Kind, string Target);

    /// <summary>The call as the agent's console shows it; <c>agentDropped</c>: the owner's softphone left the conference on its own.</summary>
    public sealed record InCallView(string CallSid, string Phase, string Owner, bool CallerHeld, bool Muted, IReadOnlyList<PartyView> Parties,
        string? Consulting, bool AgentDropped);

    /// <summary>What the endpoints need, bound once.</summary>
    public sealed record Deps(HttpContext Http, CallCenterDbContext Db, AcdHost Acd, ITwilioConferenceControl Twilio, ICallEventLog CallLog,
        TimeProvider Clock, IOptions<InCallOptions> Options, IOptions<TwilioOptions> TwilioOptions)
    {
        public string Me => Http.User.WorkNumber();

        public int PermissionLevel => int.TryParse(Http.User.FindFirst("permission_level")?.Value, out var level) ? level : 1;

        public string BaseUrl => TwilioOptions.Value.PublicBaseUrl!.ToString().TrimEnd('/');
    }

    public static IServiceCollection AddInCall(this IServiceCollection services)
    {
        services.AddOptions<InCallOptions>().BindConfiguration(InCallOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<CallLocks>();
        return services;
    }

    public static IEndpointRouteBuilder MapInCall(this IEndpointRouteBuilder routes)
    {
        var calls = routes.MapGroup("/api/agent/calls/{callSid}").WithTags("In-call controls").RequireStaff()
            // An ACD step refused after the checks (the state moved under us) is a 409 like every agent action.
            .AddEndpointFilter<Agents.AcdProblemFilter>()
            // One command at a time per call: a double click reaches Twilio once.
            .AddEndpointFilter<CallLockFilter>()
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status502BadGateway);
        calls.MapGet("", StateAsync).WithName("InCallState").WithSummary("The call's phase, hold, your mute, parties and a transfer in progress.");
        calls.MapPost("/hold", (string callSid, ReasonRequest? request, [AsParameters] Deps d, CancellationToken ct) => HoldAsync(callSid, true, request?.Reason, d, ct))
            .WithName("InCallHold").WithSummary("Put the caller on hold (music); the call log records who and why.");
        calls.MapPost("/resume", (string callSid, [AsParameters] Deps d, CancellationToken ct) => HoldAsync(callSid, false, null, d, ct))
            .WithName("InCallResume").WithSummary("Take the caller off hold.");
        calls.MapPost("/mute", (string callSid, [AsParameters] Deps d, CancellationToken ct) => MuteAsync(callSid, true, d, ct))
            .WithName("InCallMute").WithSummary("Mute your own microphone on the call.");
        calls.MapPost("/unmute", (string callSid, [AsParameters] Deps d, CancellationToken ct) => MuteAsync(callSid, false, d, ct))
            .WithName("InCallUnmute").WithSummary("Unmute your microphone.");
        calls.MapPost("/transfer", TransferAsync).WithName("InCallTransfer")
            .WithSummary("Transfer warm (consult first, caller held) or cold to an agent, a queue or an outside number.");
        calls.MapPost("/transfer/complete", CompleteTransferAsync).WithName("InCallCompleteTransfer")
            .WithSummary("Finish a warm transfer: you leave, the caller stays with the target.");
        calls.MapPost("/transfer/cancel", CancelTransferAsync).WithName("InCallCancelTransfer")
            .WithSummary("Abandon a warm transfer: the target leaves and the caller is back with you.");
        calls.MapPost("/parties", AddPartyAsync).WithName("InCallAddParty").WithSummary("Add an agent or an outside number: a three-way call.");
        calls.MapDelete("/parties/{label}", RemovePartyAsync).WithName("InCallRemoveParty").WithSummary("Drop a party you added.");
        calls.MapPost("/rejoin", RejoinAsync).WithName("InCallRejoin")
            .WithSummary("Your softphone dropped off the call (agentDropped; the caller hears hold music): dial it back in. "
                + "The caller stays held until you resume.");
        calls.MapPost("/digits", DigitsAsync).WithName("InCallDigits")
            .WithSummary("Send DTMF digits to the outside party (an IVR after a transfer or conference to a number).");

        // The digits' TwiML is fetched by Twilio, so it sits behind the signature check like every webhook.
        var voice = routes.MapGroup("/twilio/voice").AddEndpointFilter<TwilioSignatureFilter>().DisableAntiforgery().ExcludeFromDescription();
        voice.MapPost("/digits", (HttpRequest request) =>
        {
            var digits = request.Query["d"].ToString();
            var response = new VoiceResponse();
            if (InCallRules.AreDigits(digits)) response.Play(digits: digits);
            return Twiml.Ok(response.ToString(System.Xml.Linq.SaveOptions.DisableFormatting));
        }).WithName("TwilioVoiceDigits");
        voice.MapConferenceStatusWebhook();
        routes.MapCallMonitor();
        return routes;
    }

    private static async Task<Results<Ok<InCallView>, ProblemHttpResult>> StateAsync(string callSid, [AsParameters] Deps d, CancellationToken ct)
    {
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        return refused ?? (Results<Ok<InCallView>, ProblemHttpResult>)TypedResults.Ok(View(call!, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> HoldAsync(string callSid, bool hold, string? reason,
        Deps d, CancellationToken ct)
    {
        reason = reason?.Trim();
        if (reason is { Length: > MaxReasonLength }) return ReasonTooLong();
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.Hold(call!, d.Me, hold) is { } no) return InCallSessions.Problem(no);
        // Pressing twice (or a retry after a lost answer) changes nothing.
        if (call!.CallerHeld == hold) return TypedResults.Ok(View(call, d.Me));

        using var activity = Span(hold ? "hold" : "resume", callSid);
        if (!await d.Twilio.UpdateParticipantAsync(call.ConferenceSid, call.CallerLeg, new ParticipantChange { Hold = hold }, ct))
            return InCallSessions.TwilioFailed(hold ? "The caller is not on hold: they can still hear you. Try again." : "The caller is still on hold. Try again.");
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, hold ? InCallSession.HeldEvent : InCallSession.ResumedEvent,
            hold ? new { agent = d.Me, reason } : new { agent = d.Me, reason = (string?)null });
        return TypedResults.Ok(View(call with { CallerHeld = hold }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> MuteAsync(string callSid, bool mute, Deps d, CancellationToken ct)
    {
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.OnCall(call!, d.Me) is { } no) return InCallSessions.Problem(no);
        if (call!.MutedAgents.Contains(d.Me) == mute) return TypedResults.Ok(View(call, d.Me));

        using var activity = Span(mute ? "mute" : "unmute", callSid);
        if (!await d.Twilio.UpdateParticipantAsync(call.ConferenceSid, InCallSession.AgentLabel(d.Me), new ParticipantChange { Muted = mute }, ct))
            return InCallSessions.TwilioFailed(mute ? "You are not muted: the caller can still hear you. Try again." : "You are still muted. Try again.");
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, mute ? InCallSession.MutedEvent : InCallSession.UnmutedEvent, new { agent = d.Me });
        return TypedResults.Ok(View(call with { MutedAgents = mute ? call.MutedAgents.Add(d.Me) : call.MutedAgents.Remove(d.Me) }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> TransferAsync(
        string callSid, TransferRequest request, [AsParameters] Deps d, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var mode = ParseEnum<TransferMode>(request.Mode, "mode", errors);
        var kind = ParseEnum<TargetKind>(request.TargetKind, "targetKind", errors);
        var target = request.Target?.Trim() ?? "";
        var reason = request.Reason?.Trim();
        ValidateTarget(kind, target, d.Acd, errors);
        if (reason is { Length: > MaxReasonLength }) errors["reason"] = [$"reason is at most {MaxReasonLength} characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid transfer");

        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.Transfer(call!, d.Me, d.PermissionLevel, mode!.Value, kind!.Value, target, d.Options.Value.Policy) is { } no)
            return InCallSessions.Problem(no);
        if (kind == TargetKind.Agent && await TargetAgentProblemAsync(target, d, ct) is { } busy) return busy;

        using var activity = Span($"transfer.{mode}.{kind}".ToLowerInvariant(), callSid);
        return mode == TransferMode.Warm
            ? await ConsultAsync(call!, kind.Value, target, reason, d, ct)
            : kind switch
            {
                TargetKind.Queue => await ColdToQueueAsync(call!, target, reason, d, ct),
                TargetKind.Agent => await ColdToAgentAsync(call!, target, reason, d, ct),
                _ => await ColdToNumberAsync(call!, target, reason, d, ct),
            };
    }

    // The caller waits in the target queue's Twilio queue again, hearing position and wait like any caller; the ACD
    // keeps their original entry time, so they are served before everyone who called after them.
    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> ColdToQueueAsync(
        InCallSession call, string queue, string? reason, Deps d, CancellationToken ct)
    {
        var twiml = new VoiceResponse().Append(new TwilioVoice.Enqueue(name: queue,
                waitUrl: new Uri($"{d.BaseUrl}/twilio/voice/queue-wait?lang={Uri.EscapeDataString(await LanguageAsync(d.Db, call.CallSid, ct))}"),
                waitUrlMethod: Twilio.Http.HttpMethod.Post))
            .ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
        if (!await d.Twilio.RedirectAsync(call.CallerLeg, twiml, ct))
            return InCallSessions.TwilioFailed("The caller is still with you: the transfer to the queue did not happen. Try again.");
        await d.Acd.TransferToQueueAsync(d.Me, call.CallSid, queue, CancellationToken.None);
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.TransferredEvent,
            new { agent = d.Me, mode = nameof(TransferMode.Cold), targetKind = nameof(TargetKind.Queue), target = queue, reason });
        return TypedResults.Ok(View(call with { Ended = true }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> ColdToAgentAsync(
        InCallSession call, string target, string? reason, Deps d, CancellationToken ct)
    {
        var label = InCallSession.AgentLabel(target);
        if (await d.Twilio.AddParticipantAsync(InCallSession.ConferenceName(call.CallSid), "client:" + TwilioCallControl.ClientIdentity(target),
                TwilioCallControl.HotlineClient, label, null, ct) is not { } leg)
            return InCallSessions.TwilioFailed($"{target} could not be dialled: the caller is still with you. Try again.");
        if (!await d.Twilio.RemoveParticipantAsync(call.ConferenceSid, InCallSession.AgentLabel(d.Me), ct))
        {
            await d.Twilio.RemoveParticipantAsync(call.ConferenceSid, label, CancellationToken.None);
            return InCallSessions.TwilioFailed("You could not be taken off the call, so the transfer was undone. Try again.");
        }
        await d.Acd.HandOverAsync(d.Me, target, call.CallSid, CancellationToken.None);
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.TransferredEvent,
            new { agent = d.Me, mode = nameof(TransferMode.Cold), targetKind = nameof(TargetKind.Agent), target, label, callSid = leg.CallSid, reason });
        return TypedResults.Ok(View(call with { Owner = target }, d.Me));
    }

    // The caller leaves the conference for a plain dial to the number; the call leaves the ACD with it. The call's
    // recording, started on the caller's leg, goes on.
    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> ColdToNumberAsync(
        InCallSession call, string number, string? reason, Deps d, CancellationToken ct)
    {
        if ((call.Line ?? await LineAsync(d.Db, call.CallSid, ct)) is not { } line) return NoLine(call.CallSid);
        var twiml = new VoiceResponse().Append(new TwilioVoice.Dial(number: number, callerId: line))
            .ToString(System.Xml.Linq.SaveOptions.DisableFormatting);
        if (!await d.Twilio.RedirectAsync(call.CallerLeg, twiml, ct))
            return InCallSessions.TwilioFailed("The caller is still with you: the number was not dialled. Try again.");
        await d.Acd.EndCallAsync(d.Me, call.CallSid, CancellationToken.None);
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.TransferredEvent,
            new { agent = d.Me, mode = nameof(TransferMode.Cold), targetKind = nameof(TargetKind.Number), target = PhoneNumberMask.Mask(number), reason });
        return TypedResults.Ok(View(call with { Ended = true }, d.Me));
    }

    // Warm: the caller is held first, then the target is dialled into the conference, so the two can talk privately.
    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> ConsultAsync(
        InCallSession call, TargetKind kind, string target, string? reason, Deps d, CancellationToken ct)
    {
        var added = await AddLegAsync(call, kind, target, d, hold: true, ct);
        if (added.Refused is not null) return added.Refused;
        var party = added.Party!;
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.ConsultStartedEvent,
            new { agent = d.Me, mode = nameof(TransferMode.Warm), targetKind = kind.ToString(), target = party.Target, label = party.Label, callSid = added.CallSid, reason });
        return TypedResults.Ok(View(call with { CallerHeld = true, Consulting = party, Parties = call.Parties.Add(party) }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> CompleteTransferAsync(
        string callSid, [AsParameters] Deps d, CancellationToken ct)
    {
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.FinishConsult(call!, d.Me) is { } no) return InCallSessions.Problem(no);
        var target = call!.Consulting!;
        using var activity = Span("transfer.complete", callSid);
        // Caller back first, then this agent leaves: a retry after a failure here repeats both harmlessly.
        if (!await d.Twilio.UpdateParticipantAsync(call.ConferenceSid, call.CallerLeg, new ParticipantChange { Hold = false }, ct)
            || !await d.Twilio.RemoveParticipantAsync(call.ConferenceSid, InCallSession.AgentLabel(d.Me), ct))
            return InCallSessions.TwilioFailed("The transfer is not finished: you are still on the call. Try again.");
        if (target.Kind == TargetKind.Agent) await d.Acd.LeaveCallAsync(d.Me, callSid, target.Target, CancellationToken.None);
        else await d.Acd.EndCallAsync(d.Me, callSid, CancellationToken.None);
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.TransferredEvent,
            new { agent = d.Me, mode = nameof(TransferMode.Warm), targetKind = target.Kind.ToString(), target = target.Target, label = target.Label });
        return TypedResults.Ok(View(call with { Consulting = null, CallerHeld = false, Owner = target.Kind == TargetKind.Agent ? target.Target : call.Owner,
            Ended = target.Kind != TargetKind.Agent, Parties = call.Parties.Remove(target) }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> CancelTransferAsync(
        string callSid, [AsParameters] Deps d, CancellationToken ct)
    {
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.FinishConsult(call!, d.Me) is { } no) return InCallSessions.Problem(no);
        var target = call!.Consulting!;
        using var activity = Span("transfer.cancel", callSid);
        if (!await d.Twilio.RemoveParticipantAsync(call.ConferenceSid, target.Label, ct)
            || !await d.Twilio.UpdateParticipantAsync(call.ConferenceSid, call.CallerLeg, new ParticipantChange { Hold = false }, ct))
            return InCallSessions.TwilioFailed("The transfer is not cancelled yet. Try again.");
        if (target.Kind == TargetKind.Agent) await d.Acd.LeaveCallAsync(target.Target, callSid, null, CancellationToken.None);
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.ConsultCancelledEvent, new { agent = d.Me, label = target.Label });
        return TypedResults.Ok(View(call with { Consulting = null, CallerHeld = false, Parties = call.Parties.Remove(target) }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> AddPartyAsync(
        string callSid, PartyRequest request, [AsParameters] Deps d, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var kind = ParseEnum<TargetKind>(request.TargetKind, "targetKind", errors);
        var target = request.Target?.Trim() ?? "";
        ValidateTarget(kind, target, d.Acd, errors);
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors, title: "Invalid party");

        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.AddParty(call!, d.Me, d.PermissionLevel, kind!.Value, target, d.Options.Value.Policy) is { } no) return InCallSessions.Problem(no);
        if (kind == TargetKind.Agent && await TargetAgentProblemAsync(target, d, ct) is { } busy) return busy;

        using var activity = Span("party.add", callSid);
        var added = await AddLegAsync(call!, kind.Value, target, d, hold: false, ct);
        if (added.Refused is not null) return added.Refused;
        var party = added.Party!;
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call!, InCallSession.PartyAddedEvent,
            new { agent = d.Me, targetKind = kind.ToString(), target = party.Target, label = party.Label, callSid = added.CallSid });
        return TypedResults.Ok(View(call! with { Parties = call.Parties.Add(party) }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> RemovePartyAsync(
        string callSid, string label, [AsParameters] Deps d, CancellationToken ct)
    {
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.RemoveParty(call!, d.Me, label) is { } no) return InCallSessions.Problem(no);
        var party = call!.Parties.First(p => p.Label == label);
        using var activity = Span("party.remove", callSid);
        if (!await d.Twilio.RemoveParticipantAsync(call.ConferenceSid, label, ct))
            return InCallSessions.TwilioFailed($"{party.Target} is still on the call. Try again.");
        if (party.Kind == TargetKind.Agent) await d.Acd.LeaveCallAsync(party.Target, callSid, null, CancellationToken.None);
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.PartyRemovedEvent,
            new { agent = d.Me, label, targetKind = party.Kind.ToString(), target = party.Target });
        return TypedResults.Ok(View(call with { Parties = call.Parties.Remove(party) }, d.Me));
    }

    // The caller was put on hold when the softphone dropped; they stay held, so the agent picks up the conversation on purpose.
    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> RejoinAsync(string callSid, [AsParameters] Deps d,
        CancellationToken ct)
    {
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.Rejoin(call!, d.Me) is { } no) return InCallSessions.Problem(no);
        using var activity = Span("rejoin", callSid);
        if (await d.Twilio.AddParticipantAsync(InCallSession.ConferenceName(callSid), "client:" + TwilioCallControl.ClientIdentity(d.Me),
                TwilioCallControl.HotlineClient, InCallSession.AgentLabel(d.Me), null, ct) is not { } leg)
            return InCallSessions.TwilioFailed("Your softphone could not be dialled: the caller is still on hold. Check it is online and try again.");
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call!, InCallSession.RejoinedEvent, new { agent = d.Me, callSid = leg.CallSid });
        return TypedResults.Ok(View(call! with { OwnerDropped = false, MutedAgents = call.MutedAgents.Remove(d.Me) }, d.Me));
    }

    private static async Task<Results<Ok<InCallView>, ValidationProblem, ProblemHttpResult>> DigitsAsync(
        string callSid, DigitsRequest request, [AsParameters] Deps d, CancellationToken ct)
    {
        if (!InCallRules.AreDigits(request.Digits))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["digits"] = ["digits are 1 to 32 of 0-9, *, # and w (pause)."] },
                title: "Invalid digits");
        var (call, refused) = await PreludeAsync(callSid, d, ct);
        if (refused is not null) return refused;
        if (InCallRules.SendDigits(call!, d.Me, out var to) is { } no) return InCallSessions.Problem(no);
        using var activity = Span("digits", callSid);
        var announce = new Uri($"{d.BaseUrl}/twilio/voice/digits?d={Uri.EscapeDataString(request.Digits!)}");
        if (!await d.Twilio.UpdateParticipantAsync(call!.ConferenceSid, to!.Label, new ParticipantChange { AnnounceUrl = announce }, ct))
            return InCallSessions.TwilioFailed("The digits were not sent. Try again.");
        // How many, not which: digits keyed into an outside IVR may be an account number or a PIN.
        await InCallSessions.AppendAsync(d.CallLog, d.Clock, call, InCallSession.DigitsSentEvent,
            new { agent = d.Me, label = to.Label, count = request.Digits!.Count(c => c != 'w') });
        return TypedResults.Ok(View(call, d.Me));
    }

    /// <summary>
    /// The agent's end-call button on a conference call: a party leaves it (the call goes on with the owner); the owner
    /// ends the conference at Twilio, which hangs up the caller and everyone else, unless the caller goes on to the
    /// post-call survey (<see cref="Channels.CallSurveys"/>). Calls without a conference (callbacks) only change the ACD, as before.
    /// </summary>
    public static async Task<ProblemHttpResult?> EndCallAsync(string callSid, string me, CallCenterDbContext db, AcdHost acd,
        ITwilioConferenceControl twilio, ICallEventLog callLog, CallLocks locks, TimeProvider clock, Channels.CallSurveys surveys,
        Ivr.IvrCallHandler ivr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(surveys);
        ArgumentNullException.ThrowIfNull(acd);
        ArgumentNullException.ThrowIfNull(twilio);
        ArgumentNullException.ThrowIfNull(locks);
        if (await acd.AgentAsync(me, ct) is not { State: AgentState.OnCall } self || self.CallSid != callSid)
        {
            await acd.EndCallAsync(me, callSid, ct);
            return null;
        }
        InCallSession? call;
        IAsyncDisposable? held = null;
        try
        {
            // Like every in-call command: a second click waits for the first and then finds the call over.
            held = await locks.AcquireAsync(callSid, CallLocks.DefaultWait, ct);
            if (held is null) return CallLockFilter.Busy(callSid);
            call = await InCallSessions.LoadAsync(db, callSid, ct);
        }
        catch (Exception ex) when (DependencyFailures.IsDatabaseUnavailable(ex))
        {
            if (held is not null) await held.DisposeAsync();
            // The call's story is in the call log, which cannot be read while PostgreSQL is away; the agent must still be
            // able to end the call. Hanging up the caller ends their conference (they joined with endConferenceOnExit).
            if (!await twilio.RedirectAsync(callSid, new VoiceResponse().Hangup().ToString(), ct))
                return InCallSessions.TwilioFailed("The call is still connected at Twilio. Try again.");
            await acd.EndCallAsync(me, callSid, CancellationToken.None);
            return null;
        }
        await using (held)
        {
            // The ACD may have moved on while this request waited for the lock (the caller hung up, an earlier click ended it).
            if (await acd.AgentAsync(me, ct) is not { State: AgentState.OnCall } still || still.CallSid != callSid) return null;
            if (call is null || call.Ended)
            {
                await acd.EndCallAsync(me, callSid, ct);
                return null;
            }
            if (call.Owner != me)
            {
                var label = InCallSession.AgentLabel(me);
                if (!await twilio.RemoveParticipantAsync(call.ConferenceSid, label, ct))
                    return InCallSessions.TwilioFailed("You are still on the call. Try again.");
                await acd.LeaveCallAsync(me, callSid, null, CancellationToken.None);
                await InCallSessions.AppendAsync(callLog, clock, call, InCallSession.PartyRemovedEvent,
                    new { agent = me, label, targetKind = nameof(TargetKind.Agent), target = me });
                return null;
            }
            // The caller leaving for the survey ends the conference too; if they are gone already, end it as before.
            if (!await surveys.TryRedirectAsync(callSid, ivr, twilio, ct) && !await twilio.EndConferenceAsync(call.ConferenceSid, ct))
                return InCallSessions.TwilioFailed("The call is still connected at Twilio. Try again.");
            // The agent gave up on a callback or project call before the customer answered: their phone must stop ringing.
            if (call.Outbound) await twilio.CancelUnansweredAsync(call.CallerLeg, CancellationToken.None);
            await acd.EndCallAsync(me, callSid, CancellationToken.None);
            // Written under the lock, so Twilio's leave callbacks that follow find the call over and take them as expected.
            await InCallSessions.AppendAsync(callLog, clock, call, InCallSession.EndedEvent, new { agent = me });
            return null;
        }
    }

    private sealed record AddedLeg(InCallParty? Party, string? CallSid, ProblemHttpResult? Refused);

    // Dials an agent's softphone or an outside number into the conference (holding the caller first for a consult);
    // an agent also joins the call in the ACD. On any failure what was done is undone.
    private static async Task<AddedLeg> AddLegAsync(InCallSession call, TargetKind kind, string target, Deps d, bool hold, CancellationToken ct)
    {
        string to, from, label, shown;
        if (kind == TargetKind.Agent)
        {
            (to, from, label, shown) = ("client:" + TwilioCallControl.ClientIdentity(target), TwilioCallControl.HotlineClient, InCallSession.AgentLabel(target), target);
        }
        else
        {
            if ((call.Line ?? await LineAsync(d.Db, call.CallSid, ct)) is not { } line) return new AddedLeg(null, null, NoLine(call.CallSid));
            var n = call.Counts.GetValueOrDefault(InCallSession.PartyAddedEvent) + call.Counts.GetValueOrDefault(InCallSession.ConsultStartedEvent) + 1;
            (to, from, label, shown) = (target, line, $"party-{n}", PhoneNumberMask.Mask(target));
        }
        if (hold && !await d.Twilio.UpdateParticipantAsync(call.ConferenceSid, call.CallerLeg, new ParticipantChange { Hold = true }, ct))
            return new AddedLeg(null, null, InCallSessions.TwilioFailed("The caller could not be put on hold, so nobody was dialled. Try again."));
        var leg = await d.Twilio.AddParticipantAsync(InCallSession.ConferenceName(call.CallSid), to, from, label, null, ct);
        if (leg is null)
        {
            if (hold) await d.Twilio.UpdateParticipantAsync(call.ConferenceSid, call.CallerLeg, new ParticipantChange { Hold = false }, CancellationToken.None);
            return new AddedLeg(null, null, InCallSessions.TwilioFailed($"{shown} could not be dialled: the call is as it was. Try again."));
        }
        if (kind == TargetKind.Agent)
        {
            try
            {
                await d.Acd.JoinCallAsync(target, call.CallSid, CancellationToken.None);
            }
            catch (IllegalTransitionException ex)
            {
                // The agent took another call between the check and the dial.
                await d.Twilio.RemoveParticipantAsync(call.ConferenceSid, label, CancellationToken.None);
                if (hold) await d.Twilio.UpdateParticipantAsync(call.ConferenceSid, call.CallerLeg, new ParticipantChange { Hold = false }, CancellationToken.None);
                return new AddedLeg(null, null, TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Agent not available", detail: ex.Message));
            }
        }
        return new AddedLeg(new InCallParty(label, kind, shown), leg.CallSid, null);
    }

    private static async Task<ProblemHttpResult?> TargetAgentProblemAsync(string target, Deps d, CancellationToken ct)
    {
        if (!await d.Db.Agents.AnyAsync(a => a.WorkNumber == target, ct))
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such agent", detail: $"{target} has no agent profile.");
        var state = await d.Acd.AgentAsync(target, ct);
        return state.State == AgentState.Available ? null
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Agent not available",
                detail: $"{target} is {state.State}; only an available agent can take a transfer or join a call.");
    }

    private static async Task<(InCallSession? Call, ProblemHttpResult? Refused)> PreludeAsync(string callSid, Deps d, CancellationToken ct)
    {
        if (await InCallSessions.NotConnectedAsync(d.Acd, d.Me, callSid, ct) is { } notConnected) return (null, notConnected);
        var call = await InCallSessions.LoadAsync(d.Db, callSid, ct);
        return call is null ? (null, InCallSessions.NoConference(callSid)) : (call, null);
    }

    private static InCallView View(InCallSession call, string me) =>
        new(call.CallSid, call.Phase.ToString(), call.Owner, call.CallerHeld, call.MutedAgents.Contains(me),
            [.. call.Parties.Select(p => new PartyView(p.Label, p.Kind.ToString(), p.Target))], call.Consulting?.Label, call.OwnerDropped);

    private static void ValidateTarget(TargetKind? kind, string target, AcdHost acd, Dictionary<string, string[]> errors)
    {
        if (kind is null) return;
        switch (kind)
        {
            case TargetKind.Number when !InCallRules.IsE164(target):
                errors["target"] = ["An outside number is in E.164 form, such as +862100000001."];
                break;
            case TargetKind.Queue when !acd.QueueNames.Contains(target):
                errors["target"] = [$"Unknown queue; the queues are {string.Join(", ", acd.QueueNames)}."];
                break;
            case TargetKind.Agent when target.Length is 0 or > 32:
                errors["target"] = ["An agent is given by work number (1 to 32 characters)."];
                break;
        }
    }

    private static T? ParseEnum<T>(string? value, string field, Dictionary<string, string[]> errors) where T : struct, Enum
    {
        if (Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _)) return parsed;
        errors[field] = [$"{field} must be one of {string.Join(", ", Enum.GetNames<T>())}."];
        return null;
    }

    private static ValidationProblem ReasonTooLong() =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["reason"] = [$"reason is at most {MaxReasonLength} characters."] });

    private static ProblemHttpResult NoLine(string callSid) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No hotline number for this call",
            detail: $"{callSid} has no incoming-call record, so there is no number to call out from.");

    // The hotline number the caller dialled: outside numbers are called from it.
    private static async Task<string?> LineAsync(CallCenterDbContext db, string callSid, CancellationToken ct) =>
        await PayloadFieldAsync(db, callSid, "call.incoming", "to", ct);

    private static async Task<string> LanguageAsync(CallCenterDbContext db, string callSid, CancellationToken ct) =>
        await PayloadFieldAsync(db, callSid, "ivr.language_chosen", "language", ct) ?? "zh-CN";

    private static async Task<string?> PayloadFieldAsync(CallCenterDbContext db, string callSid, string type, string field, CancellationToken ct)
    {
        var payload = await db.CallEvents.AsNoTracking().Where(e => e.CallSid == callSid && e.Type == type)
            .OrderBy(e => e.CallSeq).Select(e => e.Payload).FirstOrDefaultAsync(ct);
        if (payload is null) return null;
        using var json = JsonDocument.Parse(payload);
        return json.RootElement.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }

    private static System.Diagnostics.Activity? Span(string what, string callSid)
    {
        var activity = CallCenterTelemetry.ActivitySource.StartActivity("incall." + what);
        activity?.SetTag("call.sid", callSid);
        return activity;
    }
}
