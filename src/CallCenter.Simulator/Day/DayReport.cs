using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace CallCenter.Simulator.Day;

/// <summary>The run report: a progress line while it runs, then a terminal table, JSON and an HTML page with plots.</summary>
public static class DayReport
{
    public static string ProgressLine(DayScenario scenario, DayObservations observations, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(observations);
        var calls = observations.Calls;
        var answered = calls.Where(c => c.AnsweredAt is not null).ToList();
        var done = Math.Min(1, elapsed / scenario.Duration);
        var bar = new string('#', (int)(done * 20)).PadRight(20, '.');
        var onTime = answered.Count(c => c.Wait <= scenario.ServiceLevelThreshold);
        var abandoned = calls.Count(c => c.Outcome == CallOutcome.Abandoned);
        var sl = answered.Count + abandoned == 0 ? "-" : ((double)onTime / (answered.Count + abandoned)).ToString("0.000", CultureInfo.InvariantCulture);
        return FormattableString.Invariant(
            $"[{bar}] {elapsed:hh\\:mm\\:ss}/{scenario.Duration:hh\\:mm\\:ss} placed {calls.Count} waiting {observations.Waiting} talking {observations.Talking} answered {answered.Count} abandoned {abandoned} SL {sl}   ");
    }

    public static void WriteTable(DayResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        var s = result.Scenario;
        var (sim, server, erlang) = (result.Simulator, result.Server.Totals, result.ErlangC);
        output.WriteLine(FormattableString.Invariant(
            $"Simulated {result.SimulatedMinutes / 60:0.00} h at {s.ClockRate}×: {s.CallsPerHour:0} calls/h, AHT {s.MeanHandleTime.TotalSeconds:0} s ({s.HandleTimes}), {s.Agents} agents, patience {(s.MeanPatience is { } p ? $"{p.TotalSeconds:0} s" : "unlimited")}"));
        output.WriteLine(FormattableString.Invariant(
            $"Calls placed {result.CallsPlaced}; ended in IVR {result.EndedInIvr}; callback requests {result.CallbacksRequested}; failed {result.Failed}; webhook/API errors {result.WebhookErrors}; REST redirects {result.RestRedirects} (refused {result.RestRefused})"));
        if (s.MeanBreakInterval is not null)
            output.WriteLine(FormattableString.Invariant(
                $"Agents' own breaks: {result.Breaks}, {result.BreakMinutes:0} agent-minutes ({result.BreakMinutes / Math.Max(1, s.Agents * result.SimulatedMinutes):P1} of staffed time); Erlang C and the ideal FIFO assume all {s.Agents} agents staffed throughout"));
        output.WriteLine(FormattableString.Invariant(
            $"Arrivals placed late against their schedule (simulated s): mean {result.ArrivalLateness.Mean:0.000}, p99 {result.ArrivalLateness.P99:0.000}, max {result.ArrivalLateness.Max:0.000}"));
        output.WriteLine();
        output.WriteLine($"{"",-26}{"simulator",12}{"server",12}{"Erlang C",12}{"ideal FIFO",12}");
        Row("offered to the queue", sim.Offered, server.Offered, null);
        Row("answered", sim.Answered, server.Answered, null);
        Row("abandoned (after 5 s)", sim.Abandoned, server.Abandoned, null);
        Row($"answered within {s.ServiceLevelThreshold.TotalSeconds:0} s", sim.AnsweredWithinThreshold, server.AnsweredWithinThreshold, null);
        Row($"service level {s.ServiceLevelThreshold.TotalSeconds:0} s", sim.ServiceLevel, server.ServiceLevel, erlang.ServiceLevel, "0.000", result.Ideal?.ServiceLevel);
        Row("ASA (s)", sim.AverageSpeedOfAnswer, server.AverageSpeedOfAnswer, erlang.AverageSpeedOfAnswer, "0.00", result.Ideal?.AverageSpeedOfAnswer);
        Row("handle time (s)", sim.AverageHandleTime, server.AverageHandleTime, s.MeanHandleTime.TotalSeconds, "0.0");
        Row("P(wait)", null, null, erlang.ProbabilityOfWaiting, "0.000");
        var (fcr, serverFcr) = (result.FirstCallResolution, result.Server.FirstCallResolution);
        Row("needs (wrapped-up calls)", fcr.Needs, serverFcr?.Needs, null);
        Row("first-call resolution", fcr.Rate, serverFcr?.Rate, null, "0.000");
        output.WriteLine(FormattableString.Invariant(
            $"Repeat calls about an unresolved need: {fcr.RepeatCalls}{(serverFcr is { Provisional: true } ? "; the server's FCR is provisional until its repeat window closes" : "")}"));
        output.WriteLine(FormattableString.Invariant($"Server period {result.Server.From:u} – {result.Server.To:u}; {result.Server.Definition}"));

        output.WriteLine("ideal FIFO: the same answered calls through a queue with no decision delay; the gap to it is the ACD's, the gap from it to Erlang C the day's luck.");
        if (result.Ideal is { } ideal)
            output.WriteLine(FormattableString.Invariant($"Latency of a call that finds a free agent (simulated s): {ideal.ImmediateLatency:0.00}"));

        void Row(string name, double? simulator, double? fromServer, double? predicted, string format = "0", double? ideal = null)
        {
            string Cell(double? v) => (v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-").PadLeft(12);
            output.WriteLine($"{name,-26}{Cell(simulator)}{Cell(fromServer)}{Cell(predicted)}{Cell(ideal)}");
        }
    }

    /// <summary>Fault mode's part of the table: the faults, how the run rode them out, and the reconciliation's verdict.</summary>
    public static void WriteFaults(Fault.FaultReport faults, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(faults);
        ArgumentNullException.ThrowIfNull(output);
        var r = faults.Reconciliation;
        output.WriteLine();
        output.WriteLine($"Fault mode: {faults.Instances.Count} instances behind the simulator's load balancer");
        foreach (var f in faults.Faults)
            output.WriteLine(FormattableString.Invariant($"  {f.Fault,-28} at minute {f.AtMinute,7:0.00}, away {f.RealSecondsDown:0.0} s real"));
        output.WriteLine(FormattableString.Invariant(
            $"Failovers to another instance {faults.Failovers}; calls sent to Twilio's fallback URL {faults.FallbackCalls}; wrap-ups sent again {faults.WrapUpRetries}"));
        foreach (var i in faults.Readiness)
            output.WriteLine($"  readiness of {i.Instance}: healthy {i.Healthy}, degraded {i.Degraded}, unhealthy {i.Unhealthy}, no answer {i.Down} (samples every 250 ms)");
        output.WriteLine(FormattableString.Invariant(
            $"Reconciliation after {r.SecondsToReconcile:0.0} s: {r.CallsChecked} calls placed ({r.CallsAtFallback} at the fallback), {r.EventsChecked} of their events; hash chain {(r.ChainViolation is null ? $"intact over {r.ChainEventsVerified} events" : "BROKEN: " + r.ChainViolation)}"));
        output.WriteLine($"  lost {r.Lost.Count}, duplicated {r.Duplicated.Count}, mismatched {r.Mismatched.Count}: {(r.Clean ? "every call has exactly one correct end state" : "NOT RECONCILED")}");
        foreach (var p in r.Lost.Select(p => ("lost", p)).Concat(r.Duplicated.Select(p => ("duplicated", p))).Concat(r.Mismatched.Select(p => ("mismatched", p))))
            output.WriteLine($"  {p.Item1,-10} {p.p.CallSid}: {p.p.Problem}");
    }

    public static string Json(DayResult result) => JsonSerializer.Serialize(result, DayJson.Indented);

    /// <summary>A self-contained page: the table, calls waiting over the day and service level per 15 minutes, as inline SVG.</summary>
    public static string Html(DayResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var table = new StringWriter(CultureInfo.InvariantCulture);
        WriteTable(result, table);
        var minutes = Math.Max(1, result.Scenario.Duration.TotalMinutes);
        var waiting = result.Samples.Select(p => (p.Minute, (double?)p.Waiting)).ToList();
        var maxWaiting = Math.Max(1, result.Samples.Select(p => p.Waiting).DefaultIfEmpty(0).Max());
        var page = new StringBuilder();
        page.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Simulated day</title>")
            .Append("<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em}svg{border:1px solid #ccc;margin:.5em 0}</style></head><body>")
            .Append("<h1>Simulated day</h1><pre>").Append(WebUtility.HtmlEncode(table.ToString())).Append("</pre>")
            .Append("<h2>Calls waiting</h2>").Append(Plot(minutes, maxWaiting, [("#c33", "waiting (simulator, every minute)", waiting)]))
            .Append(FormattableString.Invariant($"<h2>Service level at {result.Scenario.ServiceLevelThreshold.TotalSeconds:0} s per 15 minutes</h2>"))
            .Append(Plot(minutes, 1, [
                ("#36c", "simulator", result.SimulatorIntervals.Select(p => (p.StartMinute + 7.5, p.ServiceLevel)).ToList()),
                ("#393", "server", result.Server.Intervals.Select(p => (p.StartMinute + 7.5, p.ServiceLevel)).ToList()),
                ("#999", "Erlang C", [(0, result.ErlangC.ServiceLevel), (minutes, result.ErlangC.ServiceLevel)]),
            ]))
            .Append("</body></html>");
        return page.ToString();
    }

    private static string Plot(double maxX, double maxY, IReadOnlyList<(string Colour, string Name, List<(double X, double? Y)> Points)> series)
    {
        const int Width = 800, Height = 240, Pad = 40;
        var svg = new StringBuilder(FormattableString.Invariant($"<svg width=\"{Width}\" height=\"{Height + 30}\" xmlns=\"http://www.w3.org/2000/svg\">"));
        svg.Append(FormattableString.Invariant($"<line x1=\"{Pad}\" y1=\"{Height - Pad}\" x2=\"{Width - 10}\" y2=\"{Height - Pad}\" stroke=\"#000\"/><line x1=\"{Pad}\" y1=\"10\" x2=\"{Pad}\" y2=\"{Height - Pad}\" stroke=\"#000\"/>"));
        svg.Append(FormattableString.Invariant($"<text x=\"2\" y=\"16\" font-size=\"11\">{maxY:0.##}</text><text x=\"2\" y=\"{Height - Pad}\" font-size=\"11\">0</text>"));
        svg.Append(FormattableString.Invariant($"<text x=\"{Width - 90}\" y=\"{Height - Pad + 16}\" font-size=\"11\">{maxX / 60:0.#} h</text>"));
        var legendX = Pad;
        foreach (var (colour, name, points) in series)
        {
            var coordinates = points.Where(p => p.Y is not null).Select(p => FormattableString.Invariant(
                $"{Pad + p.X / maxX * (Width - Pad - 10):0.#},{Height - Pad - p.Y!.Value / maxY * (Height - Pad - 10):0.#}"));
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{string.Join(' ', coordinates)}\"/>");
            svg.Append(FormattableString.Invariant($"<text x=\"{legendX}\" y=\"{Height + 20}\" font-size=\"12\" fill=\"{colour}\">■ {WebUtility.HtmlEncode(name)}</text>"));
            legendX += 60 + name.Length * 7;
        }
        return svg.Append("</svg>").ToString();
    }
}
