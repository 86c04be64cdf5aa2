using System.Net;
using System.Net.Http.Json;
using CallCenter.Server.Quality;
using CallCenter.Server.Staff;
using CallCenter.Testing;

namespace CallCenter.Server.Tests.Quality;

/// <summary>The month's review plan, reviewers' progress and calibration, over archived recordings.</summary>
public sealed class ReviewPlanTests
{
    [Test]
    public async Task A_plan_redraws_identically_from_its_seed_and_holds_every_complaint_call()
    {
        await using var h = await QualityHarness.StartAsync(azure: false);
        var (_, supervisor) = await h.SignInAsync(StaffRole.Supervisor);
        var (q1, qa1) = await h.SignInAsync(StaffRole.Quality);
        var (q2, _) = await h.SignInAsync(StaffRole.Quality);
        var complaints = new List<string>();
        for (var i = 0; i < 5; i++) await h.ArchivedCallAsync("G3001", i % 2 == 0 ? "general" : "cards");
        for (var i = 0; i < 2; i++) complaints.Add((await h.ArchivedCallAsync("G3001", "general", complaint: true)).CallSid);
        for (var i = 0; i < 4; i++) await h.ArchivedCallAsync("G3002", "general");
        complaints.Add((await h.ArchivedCallAsync("G3002", "cards", complaint: true)).CallSid);

        var request = new { period = "2026-11", perAgent = 3, seed = 20261101L, reviewers = new[] { q1, q2 }, dryRun = true };
        async Task<ReviewPlanApi.PlanView> DrawAsync(object body, int status)
        {
            using var response = await supervisor.PostAsJsonAsync("/api/qa/plans", body);
            Assert.That((int)response.StatusCode, Is.EqualTo(status), await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<ReviewPlanApi.PlanView>(TestJson.Options))!;
        }
        var preview = await DrawAsync(request, 200);
        var kept = await DrawAsync(request with { dryRun = false }, 201);
        Assert.That(kept.Items, Is.EqualTo(preview.Items), "the same seed draws the same calls for the same reviewers");
        Assert.That((await DrawAsync(request, 200)).Items, Is.EqualTo(kept.Items));

        Assert.That(kept.Items.Where(i => i.Complaint).Select(i => i.CallSid), Is.EquivalentTo(complaints));
        Assert.That(kept.Items.Count(i => i.Agent == "G3001"), Is.EqualTo(3), "2 complaints + 1 drawn");
        Assert.That(kept.Items.Count(i => i.Agent == "G3002"), Is.EqualTo(3), "1 complaint + 2 drawn");
        Assert.That(kept.Seed, Is.EqualTo(20261101L));
        using (var again = await supervisor.PostAsJsonAsync("/api/qa/plans", request with { dryRun = false }))
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        using (var byQa = await qa1.PostAsJsonAsync("/api/qa/plans", request))
            Assert.That(byQa.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        // Progress: q1 scores one of their calls.
        var form = await QualityHarness.CreateFormAsync(supervisor);
        var mine = kept.Items.First(i => i.Reviewer == q1);
        using (var score = await qa1.PostAsJsonAsync("/api/qa/evaluations", new { archiveNumber = mine.ArchiveNumber, formId = form.Id,
            answers = QualityHarness.Answers(80, 80, true) }))
            Assert.That(score.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        var plan = await qa1.GetFromJsonAsync<ReviewPlanApi.PlanView>("/api/qa/plans/2026-11", TestJson.Options);
        Assert.That(plan!.Progress, Is.EqualTo(new[]
        {
            new ReviewPlanApi.ReviewerProgress(q1, kept.Items.Count(i => i.Reviewer == q1), 1),
            new ReviewPlanApi.ReviewerProgress(q2, kept.Items.Count(i => i.Reviewer == q2), 0),
        }.OrderBy(p => p.Reviewer, StringComparer.Ordinal)));
    }

    [Test]
    public async Task Two_reviewers_on_one_call_show_their_variance()
    {
        await using var h = await QualityHarness.StartAsync(azure: false);
        var (_, supervisor) = await h.SignInAsync(StaffRole.Supervisor);
        var (_, qa1) = await h.SignInAsync(StaffRole.Quality);
        var (_, qa2) = await h.SignInAsync(StaffRole.Quality);
        var form = await QualityHarness.CreateFormAsync(supervisor);
        var recording = await h.ArchivedCallAsync("G3003");
        foreach (var (reviewer, points) in new[] { (qa1, 80m), (qa2, 92m) })
        {
            using var response = await reviewer.PostAsJsonAsync("/api/qa/evaluations", new { archiveNumber = recording.ArchiveNumber, formId = form.Id,
                answers = QualityHarness.Answers(points, points, true) });
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        var calibration = await supervisor.GetFromJsonAsync<ReviewPlanApi.CalibrationView>($"/api/qa/calibration/{recording.ArchiveNumber}", TestJson.Options);
        Assert.That(calibration!.Reviews.Select(r => r.Total), Is.EqualTo(new[] { 80m, 92m }));
        Assert.That(calibration.Result, Is.EqualTo(new Core.Quality.CalibrationResult(86m, 36m, 12m, Agreed: false)));
    }
}
