using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Quality;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Quality;

/// <summary>Scoring with versioned forms, closed review months, and agents' access to their own evaluations.</summary>
public sealed class EvaluationTests
{
    private static async Task<EvaluationApi.EvaluationView> ScoreAsync(HttpClient reviewer, long archiveNumber, long formId, object[] answers,
        object[]? comments = null)
    {
        using var response = await reviewer.PostAsJsonAsync("/api/qa/evaluations", new { archiveNumber, formId, answers, summary = "Clear and polite.", comments });
        Assert.That((int)response.StatusCode, Is.EqualTo(201), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<EvaluationApi.EvaluationView>(TestJson.Options))!;
    }

    [Test]
    public async Task A_reviewer_scores_a_call_with_a_form_and_only_the_scored_agent_may_read_and_answer_it()
    {
        await using var h = await QualityHarness.StartAsync(azure: false);
        var (_, supervisor) = await h.SignInAsync(StaffRole.Supervisor);
        var (reviewer, qa) = await h.SignInAsync(StaffRole.Quality);
        var (agent, agentHttp) = await h.SignInAsync(StaffRole.Agent);
        var (_, otherAgent) = await h.SignInAsync(StaffRole.Agent);
        var form = await QualityHarness.CreateFormAsync(supervisor);
        var recording = await h.ArchivedCallAsync(agent);

        var evaluation = await ScoreAsync(qa, recording.ArchiveNumber, form.Id, QualityHarness.Answers(60, 100, verified: true),
            [new { offsetMs = 12_500, text = "Explained the fee waiver well." }]);
        Assert.Multiple(() =>
        {
            Assert.That((evaluation.Total, evaluation.Grade, evaluation.FatalFailed), Is.EqualTo((90m, "Excellent", false)));
            Assert.That((evaluation.Agent, evaluation.Reviewer, evaluation.Period), Is.EqualTo((agent, reviewer, "2026-11")));
            Assert.That((evaluation.Form.Id, evaluation.Form.Version), Is.EqualTo((form.Id, 1)));
            Assert.That(evaluation.Comments.Single().OffsetMs, Is.EqualTo(12_500));
            Assert.That(evaluation.Status, Is.EqualTo(EvaluationStatus.Submitted));
        });

        var mine = await agentHttp.GetFromJsonAsync<List<EvaluationApi.EvaluationView>>("/api/qa/my/evaluations", TestJson.Options);
        Assert.That(mine!.Single().Id, Is.EqualTo(evaluation.Id));
        Assert.That(await otherAgent.GetFromJsonAsync<List<EvaluationApi.EvaluationView>>("/api/qa/my/evaluations", TestJson.Options), Is.Empty);
        using (var peek = await otherAgent.GetAsync($"/api/qa/evaluations/{evaluation.Id}"))
            Assert.That(peek.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using (var peekList = await otherAgent.GetAsync($"/api/qa/evaluations?agent={agent}"))
            Assert.That(peekList.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using (var peekCard = await otherAgent.GetAsync($"/api/qa/scorecards/{agent}"))
            Assert.That(peekCard.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using (var foreignAck = await otherAgent.PostAsync($"/api/qa/evaluations/{evaluation.Id}/acknowledge", null))
            Assert.That(foreignAck.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        using (var own = await agentHttp.GetAsync($"/api/qa/evaluations/{evaluation.Id}"))
            Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        using (var noReason = await agentHttp.PostAsJsonAsync($"/api/qa/evaluations/{evaluation.Id}/dispute", new { reason = "" }))
            Assert.That(noReason.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using (var dispute = await agentHttp.PostAsJsonAsync($"/api/qa/evaluations/{evaluation.Id}/dispute", new { reason = "The customer had verified in the IVR." }))
        {
            var disputed = (await dispute.Content.ReadFromJsonAsync<EvaluationApi.EvaluationView>(TestJson.Options))!;
            Assert.That((disputed.Status, disputed.AgentResponse), Is.EqualTo((EvaluationStatus.Disputed, "The customer had verified in the IVR.")));
        }
        using (var again = await agentHttp.PostAsync($"/api/qa/evaluations/{evaluation.Id}/acknowledge", null))
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));

        var card = await agentHttp.GetFromJsonAsync<List<ReviewPlanApi.ScorecardMonth>>($"/api/qa/scorecards/{agent}", TestJson.Options);
        Assert.That(card!.Single(), Is.EqualTo(new ReviewPlanApi.ScorecardMonth("2026-11", 1, 90m, 90m, 90m, 0, "Excellent")));
    }

    [Test]
    public async Task A_failed_fatal_item_zeroes_the_score_and_the_same_reviewer_cannot_score_a_call_twice()
    {
        await using var h = await QualityHarness.StartAsync(azure: false);
        var (_, supervisor) = await h.SignInAsync(StaffRole.Supervisor);
        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var form = await QualityHarness.CreateFormAsync(supervisor);
        var recording = await h.ArchivedCallAsync("G2001");
        var evaluation = await ScoreAsync(qa, recording.ArchiveNumber, form.Id, QualityHarness.Answers(100, 100, verified: false));
        Assert.That((evaluation.Total, evaluation.FatalFailed, evaluation.Grade), Is.EqualTo((0m, true, "Failing")));

        using var twice = await qa.PostAsJsonAsync("/api/qa/evaluations", new { archiveNumber = recording.ArchiveNumber, formId = form.Id,
            answers = QualityHarness.Answers(80, 80, true) });
        Assert.That(twice.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        using var incomplete = await supervisor.PostAsJsonAsync("/api/qa/evaluations", new { archiveNumber = recording.ArchiveNumber, formId = form.Id,
            answers = new object[] { new { key = "greeting", points = 120 } } });
        Assert.That(incomplete.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await incomplete.Content.ReadAsStringAsync(), Does.Contain("answers.greeting").And.Contain("answers.verification"));
    }

    [Test]
    public async Task A_new_form_version_leaves_earlier_scores_on_the_version_they_used()
    {
        await using var h = await QualityHarness.StartAsync(azure: false);
        var (_, supervisor) = await h.SignInAsync(StaffRole.Supervisor);
        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var v1 = await QualityHarness.CreateFormAsync(supervisor, "Cards line");
        var first = await ScoreAsync(qa, (await h.ArchivedCallAsync("G2002")).ArchiveNumber, v1.Id, QualityHarness.Answers(60, 100, true));

        using var change = await supervisor.PostAsJsonAsync("/api/qa/forms", new
        {
            name = "Cards line",
            criteria = new object[] { new { key = "greeting", label = "Greets", weight = 1, fatal = false }, new { key = "empathy", label = "Shows empathy", weight = 1, fatal = false } },
        });
        var v2 = (await change.Content.ReadFromJsonAsync<EvaluationApi.FormView>(TestJson.Options))!;
        Assert.That((v2.Name, v2.Version), Is.EqualTo(("Cards line", 2)));
        var current = await qa.GetFromJsonAsync<List<EvaluationApi.FormView>>("/api/qa/forms", TestJson.Options);
        Assert.That(current!.Single(f => f.Name == "Cards line").Id, Is.EqualTo(v2.Id));

        var reread = await qa.GetFromJsonAsync<EvaluationApi.EvaluationView>($"/api/qa/evaluations/{first.Id}", TestJson.Options);
        Assert.That((reread!.Form.Version, reread.Form.Criteria.Count, reread.Total), Is.EqualTo((1, 3, 90m)));
        using var agentForm = await (await h.SignInAsync(StaffRole.Agent)).Http.PostAsJsonAsync("/api/qa/forms", new { name = "x", criteria = Array.Empty<object>() });
        Assert.That(agentForm.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task After_the_period_closes_a_score_changes_only_with_a_supervisors_reason_which_is_audited()
    {
        await using var h = await QualityHarness.StartAsync(azure: false);
        var (supervisorNumber, supervisor) = await h.SignInAsync(StaffRole.Supervisor);
        var (_, qa) = await h.SignInAsync(StaffRole.Quality);
        var form = await QualityHarness.CreateFormAsync(supervisor);
        var evaluation = await ScoreAsync(qa, (await h.ArchivedCallAsync("G2003")).ArchiveNumber, form.Id, QualityHarness.Answers(60, 60, true));

        using (var open = await qa.PutAsJsonAsync($"/api/qa/evaluations/{evaluation.Id}", new { answers = QualityHarness.Answers(70, 70, true) }))
            Assert.That(open.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the reviewer corrects freely while the month is open");
        using (var qaClose = await qa.PostAsync("/api/qa/periods/2026-11/close", null))
            Assert.That(qaClose.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        using (var close = await supervisor.PostAsync("/api/qa/periods/2026-11/close", null))
            Assert.That(close.StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using (var late = await qa.PutAsJsonAsync($"/api/qa/evaluations/{evaluation.Id}", new { answers = QualityHarness.Answers(90, 90, true), reason = "typo" }))
        {
            Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await late.Content.ReadAsStringAsync(), Does.Contain("Review period closed"));
        }
        using (var noReason = await supervisor.PutAsJsonAsync($"/api/qa/evaluations/{evaluation.Id}", new { answers = QualityHarness.Answers(90, 90, true) }))
            Assert.That(noReason.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using (var newScore = await qa.PostAsJsonAsync("/api/qa/evaluations", new { archiveNumber = (await h.ArchivedCallAsync("G2003")).ArchiveNumber,
            formId = form.Id, answers = QualityHarness.Answers(90, 90, true) }))
            Assert.That(newScore.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "no new scores in a closed month");
        Assert.That((await qa.GetFromJsonAsync<EvaluationApi.EvaluationView>($"/api/qa/evaluations/{evaluation.Id}", TestJson.Options))!.Total, Is.EqualTo(70m));

        using (var corrected = await supervisor.PutAsJsonAsync($"/api/qa/evaluations/{evaluation.Id}",
            new { answers = QualityHarness.Answers(90, 90, true), reason = "Calibration session 3 Dec: accuracy was under-scored." }))
        {
            Assert.That(corrected.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await corrected.Content.ReadFromJsonAsync<EvaluationApi.EvaluationView>(TestJson.Options))!.Total, Is.EqualTo(90m));
        }
        var audit = (await h.OperationsAsync("qa.evaluation.change_after_close")).Single();
        Assert.That(audit.Operator, Is.EqualTo(supervisorNumber));
        Assert.That(audit.Target, Is.EqualTo($"evaluation {evaluation.Id}"));
        Assert.That(audit.Details, Is.EqualTo("2026-11: 70.0 → 90.0; reason: Calibration session 3 Dec: accuracy was under-scored."));
    }
}
