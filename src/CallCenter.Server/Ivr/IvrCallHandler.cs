using CallCenter.Core.Ivr;
using CallCenter.Server.CallLog;
using CallCenter.Server.Telemetry;

namespace CallCenter.Server.Ivr;

/// <summary>
/// Runs one webhook's worth of IVR: load the call's state, step the interpreter (calling the core
/// system when it asks), log the step's events, store the new state with the reply, render TwiML.
/// A step Twilio retries finds its stored reply and is answered without running again.
/// The core-system bridge and the survey recorder are taken from the request's services only when a step needs them:
/// most steps need neither, and each costs a pooled database context or an HTTP client to build.
/// </summary>
public sealed class IvrCallHandler(
    IvrFlowCatalog flows, IvrSessionStore sessions, ICallEventLog callLog, IServiceProvider requestServices,
    EmergencyAnnouncementCache announcements, TwimlRenderer renderer, TimeProvider clock,
    Routing.AcdHost acd, Degraded.SurgeMode surgeMode, ILogger<IvrCallHandler> logger)
{
    private const string AfterAgentReply = "reply:after-agent";
    private const string IncomingReply = "reply:incoming";
    // A chain of core requests longer than this is a flow bug; the caller goes to a person instead.
    private const int MaxCoreRoundTrips = 4;

    /// <summary>The call's first TwiML; null when the call has moved on past it (a late repeat of the incoming webhook must not restart it).</summary>
    public async Task<string?> StartAsync(string callSid, string dialled, CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("ivr.start");
        activity?.SetTag("call.sid", callSid);
        var session = await sessions.LoadAsync(callSid, IncomingReply);
        if (session.Reply is { } replayed) return replayed;
        if (session.State is not null) return null;

        if (flows.ForNumber(dialled) is not { } interpreter)
        {
            logger.LogWarning("No IVR flow answers {Dialled}; caller {CallSid} goes straight to a person", dialled, callSid);
            return await ReachAPersonAsync(callSid, ct);
        }
        activity?.SetTag("ivr.flow", interpreter.Flow.Id);
        var context = await ContextAsync(interpreter.Flow.Id, ct);
        return await RunAsync(callSid, interpreter, interpreter.Start(context), context, IncomingReply, ct);
    }

    public async Task<IvrStepOutcome> ContinueAsync(string callSid, string step, Func<IvrCallState, IvrInput> input, CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("ivr.continue");
        activity?.SetTag("call.sid", callSid);
        activity?.SetTag("ivr.step", step);
        var replyField = "reply:" + step;
        var session = await sessions.LoadAsync(callSid, replyField);
        if (session.Reply is { } replayed) return new(IvrStepStatus.Replayed, replayed);
        if (session.State is not { } state) return new(IvrStepStatus.UnknownCall, null);
        if (state.Step.ToString(System.Globalization.CultureInfo.InvariantCulture) != step) return new(IvrStepStatus.StaleStep, null);

        activity?.SetTag("ivr.flow", state.FlowId);
        activity?.SetTag("ivr.node", state.NodeId);
        if (flows.ForFlow(state.FlowId) is not { } interpreter)
        {
            logger.LogWarning("Flow {Flow} of call {CallSid} is gone after a reload; the caller goes to a person", state.FlowId, callSid);
            return new(IvrStepStatus.Ok, await ReachAPersonAsync(callSid, ct));
        }
        var context = await ContextAsync(state.FlowId, ct);
        IvrStep next;
        try
        {
            next = interpreter.Continue(state, input(state), context);
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
        {
            // The flow changed under a running call (a node it stood on was removed): never strand the caller.
            logger.LogWarning(ex, "Call {CallSid} cannot continue at node {Node}; the caller goes to a person", callSid, state.NodeId);
            return new(IvrStepStatus.Ok, await ReachAPersonAsync(callSid, ct));
        }
        return new(IvrStepStatus.Ok, await RunAsync(callSid, interpreter, next, context, replyField, ct));
    }

    /// <summary>
    /// The agent's part of the call is over and the caller stays on the line: the flow's post-call survey (or a hang-up when
    /// the flow has none); null when the call has no IVR state any more. A retried webhook gets the same reply.
    /// </summary>
    public async Task<string?> AfterAgentAsync(string callSid, CancellationToken ct)
    {
        using var activity = CallCenterTelemetry.ActivitySource.StartActivity("ivr.after_agent");
        activity?.SetTag("call.sid", callSid);
        var session = await sessions.LoadAsync(callSid, AfterAgentReply);
        if (session.Reply is { } replayed) return replayed;
        if (session.State is not { } state || flows.ForFlow(state.FlowId) is not { } interpreter) return null;
        var context = await ContextAsync(state.FlowId, ct);
        return await RunAsync(callSid, interpreter, interpreter.AfterAgent(state, context), context, AfterAgentReply, ct);
    }

    /// <summary>The call's IVR state (who verified, which flow), or null when it has none any more.</summary>
    public async Task<IvrCallState?> StateAsync(string callSid) => (await sessions.LoadAsync(callSid, AfterAgentReply)).State;

    /// <summary>Whether the call's flow has a post-call survey node (false when the call has no IVR state).</summary>
    public async Task<bool> HasSurveyAsync(string callSid) =>
        (await sessions.LoadAsync(callSid, AfterAgentReply)).State is { } state && flows.ForFlow(state.FlowId)?.Flow.Survey is not null;

    private async Task<string> RunAsync(string callSid, IvrInterpreter interpreter, IvrStep step, IvrContext context, string replyField, CancellationToken ct)
    {
        var verbs = new List<IvrVerb>(step.Verbs);
        var events = new List<IvrEvent>(step.Events);
        for (var round = 0; step.CoreRequest is { } request; round++)
        {
            if (round == MaxCoreRoundTrips) throw new InvalidOperationException($"Flow {interpreter.Flow.Id} chains more than {MaxCoreRoundTrips} core requests.");
            var stepKey = step.Events.Count > 0 ? step.Events[^1].StepKey : step.State.Step.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var result = await requestServices.GetRequiredService<CoreBankingBridge>().ExecuteAsync(callSid, stepKey, request, step.State.Language, ct);
            step = interpreter.Continue(step.State, IvrInput.FromCore(result), context);
            verbs.AddRange(step.Verbs);
            events.AddRange(step.Events);
        }

        var now = clock.GetUtcNow();
        var appends = new Task[events.Count];
        for (var i = 0; i < events.Count; i++)
            appends[i] = callLog.AppendAsync(new NewCallEvent(callSid, events[i].Type, events[i].StepKey, now,
                CallEventPayload.Serialize(new { node = events[i].NodeId, flow = interpreter.Flow.Id, data = events[i].Data })), ct);
        await Task.WhenAll(appends);
        foreach (var answer in events.Where(e => e.Type == "ivr.survey_answer"))
        {
            if (int.TryParse(answer.Data.GetValueOrDefault("score"), System.Globalization.CultureInfo.InvariantCulture, out var score))
                await requestServices.GetRequiredService<Channels.CallSurveys>().RecordAnswerAsync(callSid, score, ct);
        }
        // A message left after the rating is the survey's optional voice comment (a no-op for any other voicemail).
        foreach (var message in events.Where(e => e.Type == "ivr.voicemail"))
        {
            if (message.Data.GetValueOrDefault("recording_sid") is { Length: > 0 } recording)
                await requestServices.GetRequiredService<Channels.CallSurveys>().RecordCommentAsync(callSid, recording, ct);
        }
        // Before the reply is stored: a retry after a failure here finds no reply and enqueues again (a no-op if it got in).
        Degraded.SurgeOffer? surge = null;
        var queued = verbs.OfType<Enqueue>().LastOrDefault();
        if (queued is not null)
        {
            await acd.EnqueueAsync(Routing.AcdExtensions.FromIvr(callSid, queued, step.State, events.Any(e => e.Type == "ivr.complaint")), ct);
            try
            {
                // In the ACD first, so a caller who holds through the surge offer keeps the place they got now.
                surge = await surgeMode.OfferAsync(interpreter.Flow.Id, (await acd.EstimateAsync(callSid, ct))?.EstimatedWait, step.State.Language, ct);
                if (surge is not null)
                    await callLog.AppendAsync(new NewCallEvent(callSid, "ivr.surge_offered", "ivr.surge_offered", now, CallEventPayload.Serialize(
                        new { flow = interpreter.Flow.Id, queue = queued.Queue, trigger = surge.Trigger, estimatedWaitSeconds = surge.EstimatedWaitSeconds })), ct);
            }
            catch (Exception ex) when (Degraded.DependencyFailures.IsRedisUnavailable(ex) || Degraded.DependencyFailures.IsDatabaseUnavailable(ex))
            {
                // Once the call is in the ACD the caller must hear <Enqueue>: the fallback TwiML (the backup number) would leave
                // a call in the queue that an agent could take while its caller talks to someone else. The offer is optional.
                logger.LogWarning(ex, "Call {CallSid} is queued without a surge offer: a dependency did not answer", callSid);
                surge = null;
            }
        }
        var reply = renderer.RenderDocument(verbs, step.State.Step.ToString(System.Globalization.CultureInfo.InvariantCulture), surge);
        try
        {
            await sessions.SaveAsync(callSid, step.State, replyField, reply);
        }
        catch (Exception ex) when (queued is not null && Degraded.DependencyFailures.IsRedisUnavailable(ex))
        {
            // Queued already (see above): the reply goes out unsaved. A retried webhook runs the step again, and its enqueue is a no-op.
            logger.LogWarning(ex, "Call {CallSid} is queued but its IVR state was not saved: Redis did not answer", callSid);
        }
        return reply;
    }

    // The static fallback still puts the caller in the ACD (first configured queue), so someone is offered the call.
    private async Task<string> ReachAPersonAsync(string callSid, CancellationToken ct)
    {
        await acd.EnqueueAsync(new Core.Routing.CallRequest(callSid, acd.QueueNames[0]), ct);
        return StaticTwiml.ReachAPerson();
    }

    private async Task<IvrContext> ContextAsync(string flowId, CancellationToken ct)
    {
        IReadOnlyDictionary<string, string>? announcement;
        try
        {
            announcement = await announcements.ActiveAsync(flowId, ct);
        }
        catch (Exception ex) when (Degraded.DependencyFailures.IsDatabaseUnavailable(ex))
        {
            // A line read before keeps its last value; one never read goes on without an announcement rather than fail the call.
            logger.LogWarning(ex, "PostgreSQL unreachable: line {Flow} runs without its emergency announcement state", flowId);
            announcement = null;
        }
        return new(clock.GetUtcNow(), announcement);
    }
}

/// <summary>How a continuing step went.</summary>
public enum IvrStepStatus
{
    Ok,
    /// <summary>The same step came again (Twilio retried): the stored reply is returned.</summary>
    Replayed,
    /// <summary>No IVR state for the call (never started, or expired).</summary>
    UnknownCall,
    /// <summary>A step number the call has already moved past, with no stored reply.</summary>
    StaleStep,
}

/// <summary>The TwiML of a step, or why there is none.</summary>
public sealed record IvrStepOutcome(IvrStepStatus Status, string? Twiml);

/// <summary>TwiML that needs no database, no Redis and no flow: used when the normal path cannot run.</summary>
public static class StaticTwiml
{
    /// <summary>Apologises in both languages and puts the caller in the general agent queue.</summary>
    public static string ReachAPerson() =>
        """
        <?xml version="1.0" encoding="utf-8"?>
        <Response><Say language="zh-CN">正在为您转接人工服务，请稍候。</Say><Say language="en-US">Connecting you to an agent, please hold.</Say><Enqueue waitUrl="/twilio/voice/queue-wait?lang=zh-CN" waitUrlMethod="POST">general</Enqueue></Response>
        """;
}
